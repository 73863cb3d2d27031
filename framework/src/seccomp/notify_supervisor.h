// The runner's side of one process under the seccomp backend: a thread that receives the
// process's listener (Handoff) and answers every notification with the rule engine, the
// shared counters and the event ring of the control block: an errno, or "continue" (now,
// after a delay, or with a signal). Runs until the process and every descendant that
// inherited the filter are gone, or until it is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <sys/types.h>

#include "seccomp/fd_cache.h"
#include "seccomp/handoff.h"
#include "seccomp/remote_subject.h"
#include "util/unique_fd.h"

struct fl_control;

namespace faultline::seccomp {

class NotifySupervisor final {
 public:
  // Starts the thread; it waits for the child to send its listener on `handoff`. With
  // `skip_interposed` (backend both), calls of processes that have the interposer loaded are
  // let through: the interposer decides those.
  NotifySupervisor(fl_control* control, std::string process, std::shared_ptr<Handoff> handoff,
                   bool skip_interposed = false);
  // Stops answering (a task still blocked in a notified syscall gets ENOSYS) and joins.
  ~NotifySupervisor();
  // The same, earlier; idempotent.
  void stop();
  NotifySupervisor(const NotifySupervisor&) = delete;
  NotifySupervisor& operator=(const NotifySupervisor&) = delete;

  // Notifications answered so far.
  [[nodiscard]] std::uint64_t notifications() const { return answered_.load(); }
  // Why the listener never arrived, "" when it did (complete once stop() returned).
  [[nodiscard]] std::string error() const;
  // How the kernel hands a notification over, once the listener arrived: "synchronous"
  // (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6), "plain" (older kernels), "" before.
  [[nodiscard]] const char* wake_up() const {
    return sync_known_.load(std::memory_order_acquire) ? (sync_wake_up_ ? "synchronous" : "plain")
                                                       : "";
  }

 private:
  void run();
  void serve(int listener);
  // Recording: counts an IPC call of the process (no site) and what was realistic at it.
  void record(const RemoteCall& rc, const fl_subject& s);
  [[nodiscard]] bool interposed(pid_t tid);

  fl_control* control_;
  std::string process_;
  bool skip_interposed_;
  struct Exe {
    std::uint64_t dev = 0, ino = 0;
    bool interposed = false;
  };
  std::map<pid_t, Exe> exes_;      // by thread, for skip_interposed_
  std::set<pid_t> io_uring_seen_;  // processes whose io_uring_setup was recorded
  std::set<pid_t> foreign_abi_seen_;  // processes whose 32-bit or x32 call was recorded
  FdCache cache_;                  // what the notified tasks' fds are
  bool sync_wake_up_ = false;
  bool killable_wait_ = false;  // Handoff::killable_wait(), once the listener arrived
  std::atomic<bool> sync_known_{false};
  std::shared_ptr<Handoff> handoff_;
  UniqueFd stop_;  // eventfd
  std::atomic<std::uint64_t> answered_{0};
  std::string error_;
  std::atomic<bool> error_ready_{false};
  std::thread thread_;
};

}  // namespace faultline::seccomp
