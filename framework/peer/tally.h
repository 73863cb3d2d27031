// Tally: what a receiving peer makes of the frames it got, against the count it expected:
// received (distinct), lost, duplicated, reordered and corrupted messages.
#pragma once

#include <cstdint>
#include <vector>

namespace faultline::peer {

class Tally final {
 public:
  explicit Tally(std::uint32_t expected) : seen_(expected, false) {}

  // An intact frame with sequence number `seq`.
  void intact(std::uint32_t seq);
  // A message (or a stretch of a stream) that failed its checks.
  void corrupt() { ++corrupted_; }

  [[nodiscard]] std::uint64_t received() const { return received_; }
  [[nodiscard]] std::uint64_t duplicated() const { return duplicated_; }
  [[nodiscard]] std::uint64_t reordered() const { return reordered_; }
  [[nodiscard]] std::uint64_t corrupted() const { return corrupted_; }
  // Expected frames never received intact; a corrupted message stands for one of them, so
  // a corruption is reported as such and not also as a loss.
  [[nodiscard]] std::uint64_t lost() const;
  // Mid-exchange: the frames missing below the newest one received (those after it may
  // still come), less the corrupted ones, as lost() counts them.
  [[nodiscard]] std::uint64_t lost_so_far() const;
  // Frames after the newest one received.
  [[nodiscard]] std::uint64_t still_to_come() const {
    return seen_.size() - static_cast<std::uint64_t>(highest_ + 1);
  }
  [[nodiscard]] bool complete() const { return received_ == seen_.size(); }
  [[nodiscard]] bool has(std::uint32_t seq) const { return seq < seen_.size() && seen_[seq]; }

 private:
  std::vector<bool> seen_;
  std::uint64_t received_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t corrupted_ = 0;
  std::int64_t highest_ = -1;
};

}  // namespace faultline::peer
