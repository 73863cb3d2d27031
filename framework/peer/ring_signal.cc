// Futex and semaphore wake-ups of the shared-memory ring; see ring_signal.h.
#include "ring_signal.h"

#include "last_words.h"

#include <linux/futex.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace faultline::peer {
namespace {

timespec relative(Deadline deadline) {
  auto left = std::max(deadline - Clock::now(), Clock::duration::zero());
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

// Not FUTEX_PRIVATE_FLAG: the word lives in memory shared by two processes.
class FutexSignal final : public RingSignal {
 public:
  void notify(int, std::uint32_t* word, IoStats&) override {
    ::syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  }
  void wait(int, std::uint32_t* word, std::uint32_t seen, Deadline deadline,
            IoStats& stats) override {
    timespec t = relative(deadline);
    LastWords::before_block();
    if (::syscall(SYS_futex, word, FUTEX_WAIT, seen, &t, nullptr, 0) == 0) return;
    // EAGAIN: the word changed before we slept; ETIMEDOUT: the caller looks at the clock.
    if (errno == EINTR) stats.note(errno);
  }
};

union SemctlArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
};

class SemaphoreSignal final : public RingSignal {
 public:
  explicit SemaphoreSignal(int id) : id_(id) {}
  void notify(int event, std::uint32_t*, IoStats& stats) override {
    // Post only when nobody has been posted yet: a waiter re-checks the ring after every
    // wake-up, so one pending token is enough, and the value never reaches SEMVMX.
    int value = ::semctl(id_, event, GETVAL);
    if (value > 0) return;
    sembuf op{static_cast<unsigned short>(event), 1, 0};
    while (::semop(id_, &op, 1) != 0) {
      if (errno != EINTR && errno != EAGAIN) throw ChannelFailure("semop(+1)", errno);
      stats.note(errno);
    }
  }
  void wait(int event, std::uint32_t*, std::uint32_t, Deadline deadline, IoStats& stats) override {
    sembuf op{static_cast<unsigned short>(event), -1, 0};
    timespec t = relative(deadline);
    LastWords::before_block();
    if (::semtimedop(id_, &op, 1, &t) == 0) return;
    int err = errno;
    if (err == EINTR) {
      stats.note(err);
    } else if (err == EAGAIN) {
      // semtimedop's timeout, or an injected EAGAIN before it: the caller checks the clock.
      if (Clock::now() < deadline) stats.note(err);
    } else {
      throw ChannelFailure("semtimedop", err);
    }
  }

 private:
  int id_;
};

}  // namespace

std::unique_ptr<RingSignal> make_futex_signal() { return std::make_unique<FutexSignal>(); }

std::unique_ptr<RingSignal> make_semaphore_signal(int sem_id, int events) {
  semid_ds ds{};
  SemctlArg arg{};
  arg.buf = &ds;
  if (::semctl(sem_id, 0, IPC_STAT, arg) != 0) throw ChannelFailure("semctl(IPC_STAT)", errno);
  if (static_cast<int>(ds.sem_nsems) < events) {
    throw ChannelFailure("the semaphore set has " + std::to_string(ds.sem_nsems) +
                             " semaphores, the ring needs " + std::to_string(events) +
                             " (give the semaphore channel `count: " + std::to_string(events) +
                             "`)",
                         EINVAL);
  }
  return std::make_unique<SemaphoreSignal>(sem_id);
}

}  // namespace faultline::peer
