// Which system calls stand for which rows of the call table under the seccomp backend, and
// where each one's object (fd, SysV id, path, name) sits among the syscall's arguments.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "faultline_control.h"

namespace faultline::seccomp {

// What a call works on, as the object column of interpose/calls.def says.
enum class ObjectKind { none, fd, id, key, path, name, map };

struct SyscallObject {
  ObjectKind kind = ObjectKind::none;
  int arg = -1;        // fd, id, key, path or name argument; the fd of a mapping
  int dir_arg = -1;    // PATH: the dirfd argument of an *at call, -1 = AT_FDCWD
  int flags_arg = -1;  // MAP: the flags argument
};

struct SyscallEntry {
  int nr = -1;             // native syscall number
  std::vector<int> calls;  // enum fl_call_id, preferred first
  SyscallObject object;    // laid out as the syscall takes its arguments
};

class SyscallMap final {
 public:
  // Built from the call table: every row whose symbol is a syscall name
  // (seccomp_syscall_resolve_name), plus the syscalls libc uses under another name (openat
  // for open, sendto for send, pread64 for read, ...).
  [[nodiscard]] static const SyscallMap& get();

  // The syscalls that must reach the supervisor for the calls armed in `armed`.
  [[nodiscard]] std::vector<int> syscalls_for(const uint64_t (&armed)[FL_MAX_CALLS / 64]) const;
  // The entry of syscall `nr`, nullptr when no call of the table maps to it.
  [[nodiscard]] const SyscallEntry* find(int nr) const;
  // The call id a notification of `entry` is matched as: the first of its calls armed.
  [[nodiscard]] static int call_for(const SyscallEntry& entry,
                                    const uint64_t (&armed)[FL_MAX_CALLS / 64]);
  // The syscall names a call id maps to (for docs and diagnostics).
  [[nodiscard]] std::vector<int> syscalls_of(int call) const;
  [[nodiscard]] const std::vector<SyscallEntry>& entries() const { return entries_; }

 private:
  SyscallMap();
  std::vector<SyscallEntry> entries_;
};

}  // namespace faultline::seccomp
