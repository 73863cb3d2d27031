// Frames over byte streams; see stream_transport.h.
#include "stream_transport.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace faultline::peer {

StreamTransport::StreamTransport(UniqueFd in, UniqueFd out, std::uint32_t max_payload)
    : in_(std::move(in)), out_(std::move(out)), max_payload_(max_payload) {}

IoStatus StreamTransport::send(std::span<const std::uint8_t> frame, Deadline deadline) {
  if (!out_) throw ChannelFailure("write on a channel opened for reading only", EBADF);
  if (reconnect_ && side_ == Side::client) last_sent_.assign(frame.begin(), frame.end());
  for (;;) {
    IoStatus status = write_all(out_.get(), frame, deadline, stats_);
    if (status != IoStatus::closed || !reconnect_) return status;
    // The server's answer is lost with its connection; the next one is the receiver's to take.
    if (side_ == Side::server) return IoStatus::ok;
    if (!switch_connection(deadline)) return IoStatus::closed;
  }
}

void StreamTransport::set_reconnect(Side side, std::function<UniqueFd(Deadline)> next) {
  side_ = side;
  reconnect_ = std::move(next);
}

bool StreamTransport::switch_connection(Deadline deadline) {
  UniqueFd next = reconnect_(deadline);
  if (!next) return false;
  UniqueFd copy(::fcntl(next.get(), F_DUPFD_CLOEXEC, 3));
  if (!copy) throw ChannelFailure("fcntl(F_DUPFD_CLOEXEC)", errno);
  in_ = std::move(next);
  out_ = std::move(copy);
  // A new connection starts at a frame boundary; what was half-read died with the old one
  // (and was reported as damaged).
  buffer_.clear();
  resyncing_ = false;
  ++connections_;
  return true;
}

Message StreamTransport::receive(Deadline deadline) {
  for (;;) {
    Message m = receive_here(deadline);
    if (m.kind != Message::Kind::closed || !reconnect_) return m;
    if (!switch_connection(deadline)) return m;
    // The request whose answer was awaited may never have arrived: ask again.
    if (side_ == Side::client && !last_sent_.empty()) {
      const std::vector<std::uint8_t> again = last_sent_;  // send() records what it sends
      IoStatus status = send(again, deadline);
      if (status == IoStatus::timeout) return Message{};
      if (status == IoStatus::closed) return m;
    }
  }
}

IoStatus StreamTransport::fill(std::size_t size, Deadline deadline) {
  if (!in_) throw ChannelFailure("read on a channel opened for writing only", EBADF);
  std::size_t have = buffer_.size();
  if (have >= size) return IoStatus::ok;
  buffer_.resize(size);
  std::size_t got = 0;
  IoStatus status =
      read_exact(in_.get(), std::span(buffer_).subspan(have, size - have), deadline, stats_, &got);
  buffer_.resize(have + got);
  return status;
}

Message StreamTransport::ended(IoStatus status) {
  Message m;
  m.kind = status == IoStatus::timeout ? Message::Kind::timeout : Message::Kind::closed;
  if (m.kind == Message::Kind::closed && !buffer_.empty()) {
    // The stream ended inside a frame: that frame is damaged. Report it once.
    buffer_.clear();
    if (!resyncing_) m.kind = Message::Kind::corrupt;
    resyncing_ = true;
  }
  return m;
}

void StreamTransport::skip_to_magic() {
  const auto* magic = reinterpret_cast<const std::uint8_t*>(&kFrameMagic);
  std::size_t at = 0;
  for (; at < buffer_.size(); ++at) {
    std::size_t n = std::min<std::size_t>(4, buffer_.size() - at);
    if (std::equal(magic, magic + n, buffer_.begin() + static_cast<std::ptrdiff_t>(at))) break;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(at));
}

IoStatus StreamTransport::read_some(Deadline deadline) {
  std::uint8_t chunk[4096];
  for (;;) {
    if (!wait_fd(in_.get(), POLLIN, deadline, stats_)) return IoStatus::timeout;
    ssize_t n = ::read(in_.get(), chunk, sizeof chunk);
    if (n > 0) {
      buffer_.insert(buffer_.end(), chunk, chunk + n);
      return IoStatus::ok;
    }
    if (n == 0) return IoStatus::closed;
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
      stats_.note(errno);
      continue;
    }
    if (errno == ECONNRESET) return IoStatus::closed;
    throw ChannelFailure("read", errno);
  }
}

Message StreamTransport::receive_here(Deadline deadline) {
  for (;;) {
    IoStatus status = IoStatus::ok;
    if (resyncing_) {
      // Inside damage: skip to the next possible magic, reading in bulk until one shows.
      skip_to_magic();
      if (buffer_.size() < 4) {
        status = read_some(deadline);
        if (status != IoStatus::ok) return ended(status);
        continue;
      }
    }
    status = fill(4, deadline);
    if (status == IoStatus::ok && starts_with_magic(buffer_)) status = fill(kHeaderSize, deadline);
    if (status != IoStatus::ok) return ended(status);
    auto header = check_header(buffer_);
    if (header && header->length <= max_payload_) {
      std::size_t size = kHeaderSize + header->length;
      status = fill(size, deadline);
      if (status != IoStatus::ok) return ended(status);
      if (auto intact = check_frame(std::span(buffer_).first(size))) {
        Message m;
        m.kind = Message::Kind::frame;
        m.header = *intact;
        m.bytes.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size));
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size));
        resyncing_ = false;
        return m;
      }
    }
    // Not a frame here: look for the next magic from one byte further on.
    buffer_.erase(buffer_.begin());
    if (!resyncing_) {
      resyncing_ = true;
      Message m;
      m.kind = Message::Kind::corrupt;
      return m;
    }
  }
}

void StreamTransport::finish_sending() {
  struct stat st {};
  // A socket's other side learns the end from shutdown (its fd may be shared with the
  // reading side); a pipe's or FIFO's from the last writer closing.
  if (out_ && ::fstat(out_.get(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    (void)::shutdown(out_.get(), SHUT_WR);
  }
  out_.reset();
}

}  // namespace faultline::peer
