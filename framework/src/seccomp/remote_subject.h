// The fl_subject resolver for a call made by another process: classifies the target's fd,
// SysV id, path or name the way the interposer classifies its own (fd class, channel,
// stream socket), through /proc/TID/fd and pidfd_getfd(2); where pidfd_getfd is refused (a
// container's seccomp profile, Yama's ptrace_scope 2), a socket through /proc/TGID/net and
// sock_diag(7) instead, to the same class and channel. Only its timeouts (SO_RCVTIMEO,
// SO_SNDTIMEO) then stay unknown.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "rule_engine.h"
#include "seccomp/fd_cache.h"
#include "seccomp/syscall_map.h"

namespace faultline::seccomp {

struct RemoteCall {
  const fl_control* control = nullptr;
  pid_t tid = 0;  // the calling thread, as the notification names it
  const SyscallEntry* entry = nullptr;
  std::uint64_t args[6] = {};
  std::uint64_t shm_dev = UINT64_MAX;  // st_dev of /dev/shm
  // Where an fd's class is remembered (nullptr: classified every time). What was classified
  // is only remembered while notification `id` of `listener` still waits: it was then this
  // task's fd, not a dying task's.
  FdCache* cache = nullptr;
  int listener = -1;
  std::uint64_t id = 0;
};

// For fl_subject.resolve, with fl_subject.context pointing to a RemoteCall.
void resolve_remote(fl_subject* s, unsigned need);

// What realism.h needs of a remote call's fd and process (FL_STATE_* bits in `need`; the
// rest stays -1, unknown): O_NONBLOCK from /proc/TID/fdinfo, the socket timeouts through a
// copy of the fd, the caught signals from /proc/TID/status. Another process's sigaction
// flags cannot be read: one that catches a signal counts as possibly without SA_RESTART.
[[nodiscard]] fl_state remote_state(const RemoteCall& c, unsigned shape, unsigned need);

// The thread group of a thread, 0 when it is gone.
[[nodiscard]] pid_t thread_group_of(pid_t tid);

}  // namespace faultline::seccomp
