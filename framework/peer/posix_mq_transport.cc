// Frames over a POSIX message queue; see posix_mq_transport.h. The timed calls take an
// absolute CLOCK_REALTIME time, so the steady deadline is turned into one per call.
#include "posix_mq_transport.h"

#include "last_words.h"

#include <fcntl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace faultline::peer {
namespace {

timespec realtime_at(Deadline deadline) {
  auto left = std::max(deadline - Clock::now(), Clock::duration::zero());
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count() + now.tv_nsec;
  return timespec{now.tv_sec + static_cast<time_t>(ns / 1000000000),
                  static_cast<long>(ns % 1000000000)};
}

}  // namespace

mqd_t PosixMqTransport::open_queue(const std::string& name) {
  mqd_t q = ::mq_open(name.c_str(), O_RDWR | O_CLOEXEC);
  if (q == kNone) throw ChannelFailure("mq_open(" + name + ") (is the queue provisioned?)", errno);
  mq_attr attr{};
  if (::mq_getattr(q, &attr) != 0) {
    int err = errno;
    ::mq_close(q);
    throw ChannelFailure("mq_getattr", err);
  }
  message_size_ = std::min(message_size_, static_cast<std::size_t>(attr.mq_msgsize));
  return q;
}

PosixMqTransport::PosixMqTransport(const std::string& in, const std::string& out) {
  if (!in.empty()) {
    in_ = open_queue(in);
    in_size_ = message_size_;
  }
  try {
    if (!out.empty()) out_ = open_queue(out);
  } catch (...) {
    if (in_ != kNone) ::mq_close(in_);
    throw;
  }
}

PosixMqTransport::~PosixMqTransport() {
  if (in_ != kNone) ::mq_close(in_);
  if (out_ != kNone) ::mq_close(out_);
}

IoStatus PosixMqTransport::send(std::span<const std::uint8_t> frame, Deadline deadline) {
  for (;;) {
    timespec at = realtime_at(deadline);
    LastWords::before_block();  // the timed calls block without a poll first
    if (::mq_timedsend(out_, reinterpret_cast<const char*>(frame.data()), frame.size(), 0, &at) ==
        0) {
      return IoStatus::ok;
    }
    int err = errno;
    if (err == ETIMEDOUT) {
      if (Clock::now() >= deadline) return IoStatus::timeout;
      continue;  // the realtime clock moved: the steady deadline decides
    }
    if (err == EINTR || err == EAGAIN) {
      stats_.note(err);
      if (err == EAGAIN) Backoff().wait(deadline);
      continue;
    }
    throw ChannelFailure("mq_timedsend", err);
  }
}

Message PosixMqTransport::receive(Deadline deadline) {
  std::vector<std::uint8_t> buffer(in_size_);
  for (;;) {
    timespec at = realtime_at(deadline);
    LastWords::before_block();
    ssize_t n =
        ::mq_timedreceive(in_, reinterpret_cast<char*>(buffer.data()), buffer.size(), nullptr, &at);
    if (n >= 0) {
      buffer.resize(static_cast<std::size_t>(n));
      return classify(std::move(buffer));
    }
    int err = errno;
    if (err == ETIMEDOUT) {
      if (Clock::now() >= deadline) return Message{};
      continue;
    }
    if (err == EINTR || err == EAGAIN) {
      stats_.note(err);
      if (err == EAGAIN) Backoff().wait(deadline);
      continue;
    }
    throw ChannelFailure("mq_timedreceive", err);
  }
}

}  // namespace faultline::peer
