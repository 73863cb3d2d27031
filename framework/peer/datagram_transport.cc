// Frames over datagram sockets; see datagram_transport.h.
#include "datagram_transport.h"

#include <poll.h>

#include <cerrno>

namespace faultline::peer {

DatagramTransport::DatagramTransport(UniqueFd fd, bool connected, std::uint32_t max_payload)
    : fd_(std::move(fd)), connected_(connected), max_frame_(kHeaderSize + max_payload) {}

IoStatus DatagramTransport::send(std::span<const std::uint8_t> frame, Deadline deadline) {
  if (!connected_ && last_sender_len_ == 0) {
    throw ChannelFailure("sendto: no client has sent anything to answer", EDESTADDRREQ);
  }
  Backoff backoff;
  for (;;) {
    ssize_t n = connected_
                    ? ::send(fd_.get(), frame.data(), frame.size(), 0)
                    : ::sendto(fd_.get(), frame.data(), frame.size(), 0,
                               reinterpret_cast<const sockaddr*>(&last_sender_), last_sender_len_);
    if (n == static_cast<ssize_t>(frame.size())) return IoStatus::ok;
    if (n >= 0) {
      // A datagram goes out whole or not at all; a short one reached the other side cut
      // (it reports it as corrupted): send the frame again, whole.
      ++stats_.short_transfers;
      continue;
    }
    int err = errno;
    if (err == EINTR) {
      stats_.note(err);
      continue;
    }
    if (err == EAGAIN || err == EWOULDBLOCK) {
      stats_.note(err);
      if (!wait_fd(fd_.get(), POLLOUT, deadline, stats_)) return IoStatus::timeout;
      continue;
    }
    if (err == ENOBUFS || err == ENOMEM || err == ECONNREFUSED) {
      // No room in the kernel, or the receiver is not bound (yet, or any more): try again
      // a little later while there is time.
      stats_.note(err);
      if (Clock::now() >= deadline)
        return err == ECONNREFUSED ? IoStatus::closed : IoStatus::timeout;
      backoff.wait(deadline);
      continue;
    }
    throw ChannelFailure(connected_ ? "send" : "sendto", err);
  }
}

Message DatagramTransport::receive(Deadline deadline) {
  std::vector<std::uint8_t> buffer(max_frame_ + 1);  // one byte more: a longer one shows
  for (;;) {
    if (!wait_fd(fd_.get(), POLLIN, deadline, stats_)) return Message{};
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(fd_.get(), buffer.data(), buffer.size(), 0,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n >= 0) {
      if (!connected_) {
        last_sender_ = from;
        last_sender_len_ = from_len;
      }
      buffer.resize(static_cast<std::size_t>(n));
      return classify(std::move(buffer));
    }
    int err = errno;
    if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK || err == ENOMEM) {
      stats_.note(err);
      continue;
    }
    if (err == ECONNREFUSED) {
      // A reply to an earlier datagram that found nobody (ICMP): news, not a broken channel.
      stats_.note(err);
      continue;
    }
    throw ChannelFailure("recvfrom", err);
  }
}

}  // namespace faultline::peer
