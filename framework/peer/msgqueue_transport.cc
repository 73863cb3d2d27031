// Frames over a System V message queue; see msgqueue_transport.h. msgsnd/msgrcv have neither
// an fd to poll nor a timeout, so the waits use IPC_NOWAIT and a short back-off.
#include "msgqueue_transport.h"

#include <sys/msg.h>

#include <cerrno>
#include <cstring>

namespace faultline::peer {

MsgqueueTransport::MsgqueueTransport(int id, bool client, std::uint32_t max_payload)
    : id_(id),
      send_type_(client ? 1 : 2),
      receive_type_(client ? 2 : 1),
      max_frame_(kHeaderSize + max_payload) {}

IoStatus MsgqueueTransport::send(std::span<const std::uint8_t> frame, Deadline deadline) {
  std::vector<std::uint8_t> message(sizeof(long) + frame.size());
  std::memcpy(message.data(), &send_type_, sizeof(long));
  std::memcpy(message.data() + sizeof(long), frame.data(), frame.size());
  Backoff backoff;
  for (;;) {
    if (::msgsnd(id_, message.data(), frame.size(), IPC_NOWAIT) == 0) return IoStatus::ok;
    int err = errno;
    if (err == EINTR) {
      stats_.note(err);
      continue;
    }
    if (err == EAGAIN || err == ENOMEM) {  // the queue is full
      stats_.note(err);
      if (Clock::now() >= deadline) return IoStatus::timeout;
      backoff.wait(deadline);
      continue;
    }
    if (err == EIDRM) return IoStatus::closed;
    throw ChannelFailure("msgsnd", err);
  }
}

Message MsgqueueTransport::receive(Deadline deadline) {
  // One byte more than a frame may be: with MSG_NOERROR a longer message arrives cut, and
  // its length check fails.
  std::vector<std::uint8_t> message(sizeof(long) + max_frame_ + 1);
  Backoff backoff;
  for (;;) {
    ssize_t n =
        ::msgrcv(id_, message.data(), max_frame_ + 1, receive_type_, IPC_NOWAIT | MSG_NOERROR);
    if (n >= 0) {
      std::vector<std::uint8_t> frame(
          message.begin() + sizeof(long),
          message.begin() + static_cast<std::ptrdiff_t>(sizeof(long)) + n);
      return classify(std::move(frame));
    }
    int err = errno;
    if (err == ENOMSG) {
      if (Clock::now() >= deadline) return Message{};
      backoff.wait(deadline);
      continue;
    }
    backoff.reset();
    if (err == EINTR || err == EAGAIN || err == ENOMEM) {
      stats_.note(err);
      continue;
    }
    if (err == EIDRM) return Message{Message::Kind::closed, {}, {}};
    throw ChannelFailure("msgrcv", err);
  }
}

}  // namespace faultline::peer
