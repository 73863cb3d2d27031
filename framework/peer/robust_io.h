// The robust IPC primitives every transport of the peer is built on: EINTR is retried, EAGAIN
// waits for readiness (or backs off where there is no fd), short transfers are continued, and
// every one of them is counted for the summary.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>

namespace faultline::peer {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// A call failed with an errno that no retry can fix: the channel cannot be used (exit 3).
class ChannelFailure : public std::runtime_error {
 public:
  ChannelFailure(const std::string& what, int err);
  [[nodiscard]] int error() const { return err_; }

 private:
  int err_;
};

// What the peer absorbed on its way: errnos retried and transfers that came out short.
struct IoStats {
  std::map<std::string, std::uint64_t> errors;  // "EINTR" -> 3
  std::uint64_t short_transfers = 0;
  void note(int err);
};

// errno's symbolic name ("EINTR"), or its number when it has none.
[[nodiscard]] std::string errno_name(int err);

// Remaining time until `deadline` in whole milliseconds, rounded up, at least 0.
[[nodiscard]] int remaining_ms(Deadline deadline);

// Waits until `fd` has `events` (POLLIN/POLLOUT); retries EINTR. false when the deadline
// passed first. Hang-up and errors count as ready: the call that follows reports them.
[[nodiscard]] bool wait_fd(int fd, short events, Deadline deadline, IoStats& stats);

enum class IoStatus { ok, timeout, closed };

// Writes every byte of `bytes` to a stream fd (non-blocking or not). `closed` when the
// reader went away (EPIPE, ECONNRESET).
[[nodiscard]] IoStatus write_all(int fd, std::span<const std::uint8_t> bytes, Deadline deadline,
                                 IoStats& stats);

// Reads exactly `bytes.size()` bytes from a stream fd. `closed` on end of file before the
// first byte (when `partial` is null) or at any point (then *partial says how many came).
[[nodiscard]] IoStatus read_exact(int fd, std::span<std::uint8_t> bytes, Deadline deadline,
                                  IoStats& stats, std::size_t* partial = nullptr);

// Sleeps until `until` (or the deadline, whichever is first); retries EINTR.
void sleep_until(Deadline until);

// For calls with no fd to poll (System V): sleeps a little longer on each retry, up to 10 ms.
class Backoff final {
 public:
  void wait(Deadline deadline);
  void reset() { step_ = 0; }

 private:
  int step_ = 0;
};

}  // namespace faultline::peer
