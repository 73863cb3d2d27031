// Robust IPC primitives; see robust_io.h.
#include "robust_io.h"

#include "last_words.h"

#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace faultline::peer {

ChannelFailure::ChannelFailure(const std::string& what, int err)
    : std::runtime_error(what + ": " + errno_name(err) + " (" + ::strerror(err) + ")"), err_(err) {}

std::string errno_name(int err) {
  const char* name = ::strerrorname_np(err);
  return name ? name : std::to_string(err);
}

void IoStats::note(int err) { ++errors[errno_name(err == EWOULDBLOCK ? EAGAIN : err)]; }

int remaining_ms(Deadline deadline) {
  auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<long long>(ms, 1 << 30));
}

bool wait_fd(int fd, short events, Deadline deadline, IoStats& stats) {
  for (bool first = true;; first = false) {
    pollfd p{fd, events, 0};
    // Ready at once is the common case; a wait that will block first updates the last words.
    int r = first ? ::poll(&p, 1, 0) : 0;
    if (r == 0) {
      LastWords::before_block();
      r = ::poll(&p, 1, remaining_ms(deadline));
    }
    if (r > 0) return true;
    if (r == 0) {
      if (Clock::now() >= deadline) return false;
      continue;  // woke early (rounding): wait out the rest
    }
    if (errno == EINTR || errno == EAGAIN || errno == ENOMEM) {
      stats.note(errno);
      if (errno != EINTR)
        sleep_until(std::min(deadline, Clock::now() + std::chrono::milliseconds(1)));
      continue;
    }
    throw ChannelFailure("poll", errno);
  }
}

IoStatus write_all(int fd, std::span<const std::uint8_t> bytes, Deadline deadline, IoStats& stats) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      if (static_cast<std::size_t>(n) < bytes.size() - done) ++stats.short_transfers;
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      stats.note(errno);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      stats.note(errno);
      if (!wait_fd(fd, POLLOUT, deadline, stats)) return IoStatus::timeout;
      continue;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return IoStatus::closed;
    if (n == 0) {
      // write(2) of a non-zero count returns 0 only in odd cases; count it and go on.
      ++stats.short_transfers;
      if (!wait_fd(fd, POLLOUT, deadline, stats)) return IoStatus::timeout;
      continue;
    }
    throw ChannelFailure("write", errno);
  }
  return IoStatus::ok;
}

IoStatus read_exact(int fd, std::span<std::uint8_t> bytes, Deadline deadline, IoStats& stats,
                    std::size_t* partial) {
  std::size_t done = 0;
  if (partial) *partial = 0;
  while (done < bytes.size()) {
    // Poll first: the fd is non-blocking, and a read that would block is no news worth
    // counting; EAGAIN after readiness (a spurious wake-up, an injected fault) is.
    if (!wait_fd(fd, POLLIN, deadline, stats)) return IoStatus::timeout;
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      if (static_cast<std::size_t>(n) < bytes.size() - done) ++stats.short_transfers;
      done += static_cast<std::size_t>(n);
      if (partial) *partial = done;
      continue;
    }
    if (n == 0) return IoStatus::closed;
    if (errno == EINTR) {
      stats.note(errno);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      stats.note(errno);
      continue;
    }
    if (errno == ECONNRESET) return IoStatus::closed;
    throw ChannelFailure("read", errno);
  }
  return IoStatus::ok;
}

void sleep_until(Deadline until) {
  auto left = until - Clock::now();
  if (left <= Clock::duration::zero()) return;
  LastWords::before_block();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  timespec rest{};
  while (::nanosleep(&ts, &rest) != 0 && errno == EINTR) ts = rest;
}

void Backoff::wait(Deadline deadline) {
  auto pause = std::chrono::microseconds(100) * (1 << std::min(step_, 7));
  step_++;
  sleep_until(std::min(
      deadline, Clock::now() + std::min<Clock::duration>(pause, std::chrono::milliseconds(10))));
}

}  // namespace faultline::peer
