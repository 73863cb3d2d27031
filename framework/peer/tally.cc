// Integrity counting; see tally.h.
#include "tally.h"

namespace faultline::peer {

void Tally::intact(std::uint32_t seq) {
  if (seq >= seen_.size()) {
    // An intact frame the sender never meant to send: only a corruption that kept the CRC
    // right could make it, or a peer with another --count.
    ++corrupted_;
    return;
  }
  if (seen_[seq]) {
    ++duplicated_;
    return;
  }
  seen_[seq] = true;
  ++received_;
  if (static_cast<std::int64_t>(seq) < highest_) {
    ++reordered_;
  } else {
    highest_ = seq;
  }
}

std::uint64_t Tally::lost() const {
  std::uint64_t missing = seen_.size() - received_;
  return missing > corrupted_ ? missing - corrupted_ : 0;
}

std::uint64_t Tally::lost_so_far() const {
  // Every frame received is at or below the newest, so the gaps are what is not received.
  std::uint64_t gaps = static_cast<std::uint64_t>(highest_ + 1) - received_;
  return gaps > corrupted_ ? gaps - corrupted_ : 0;
}

}  // namespace faultline::peer
