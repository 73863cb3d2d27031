// RingSignal: how the two sides of a shared-memory ring wake each other: a futex word in the
// segment (process-shared, no other object needed) or a System V semaphore set.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "robust_io.h"

namespace faultline::peer {

class RingSignal {
 public:
  RingSignal() = default;
  RingSignal(const RingSignal&) = delete;
  RingSignal& operator=(const RingSignal&) = delete;
  virtual ~RingSignal() = default;

  // `event` is 2*ring (data in the ring) or 2*ring+1 (room in the ring); `word` is that ring's
  // change counter in the segment, already advanced by the caller.
  virtual void notify(int event, std::uint32_t* word, IoStats& stats) = 0;
  // Sleeps until notified, `word` no longer holds `seen`, or the deadline; the caller
  // re-checks its condition either way (wake-ups may be spurious).
  virtual void wait(int event, std::uint32_t* word, std::uint32_t seen, Deadline deadline,
                    IoStats& stats) = 0;
};

[[nodiscard]] std::unique_ptr<RingSignal> make_futex_signal();
// The set must have `events` semaphores; throws ChannelFailure otherwise.
[[nodiscard]] std::unique_ptr<RingSignal> make_semaphore_signal(int sem_id, int events);

}  // namespace faultline::peer
