// Building the filter with libseccomp and exporting it as plain BPF; see filter.h. Exported
// rather than loaded with seccomp_load in the child: libseccomp allocates, and the child of
// a runner with threads may only make async-signal-safe calls.
#include "seccomp/filter.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "faultline_control.h"
#include "seccomp/fd_cache.h"
#include "seccomp/syscall_map.h"
#include "util/unique_fd.h"

namespace faultline::seccomp {
namespace {

struct CtxRelease {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

void check(int rc, const char* what) {
  if (rc < 0)
    throw std::runtime_error(
        fmt::format("seccomp backend: {} failed: {}", what, std::string(::strerror(-rc))));
}

}  // namespace

FilterProgram::FilterProgram(std::vector<sock_filter> code, std::size_t syscalls,
                             std::vector<int> notified)
    : code_(std::move(code)), notified_(std::move(notified)), syscalls_(syscalls) {
  prog_.len = static_cast<unsigned short>(code_.size());
  prog_.filter = code_.data();
}

FilterProgram::FilterProgram(FilterProgram&& o) noexcept
    : code_(std::move(o.code_)), notified_(std::move(o.notified_)), syscalls_(o.syscalls_) {
  prog_.len = static_cast<unsigned short>(code_.size());
  prog_.filter = code_.data();
  o.prog_ = {};
}

FilterProgram FilterProgram::build(const fl_control& control) {
  if (seccomp_api_get() < 5)
    throw std::runtime_error(
        "seccomp backend: this kernel or libseccomp lacks user notification (API level 5, "
        "Linux 5.0 and libseccomp 2.5 or newer); use backend: preload");
  std::unique_ptr<void, CtxRelease> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) throw std::runtime_error("seccomp backend: seccomp_init failed");
  // 32-bit (int 0x80) and x32 system calls: their numbers and arguments are another ABI's, so
  // no rule judges them; they are notified all the same, for the supervisor to record that the
  // process escaped injection there (a pass must not hide them) and let them through.
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY), "seccomp_attr_set");
  // The runner sets no_new_privs itself, in the child, right before installing the filter.
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set");
  auto syscalls = SyscallMap::get().syscalls_for(control.armed);
  std::vector<int> notified;
  auto notify = [&](int nr) {
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 0), "seccomp_rule_add");
    notified.push_back(nr);
  };
  for (int nr : syscalls) notify(nr);
  // Not to fault it: to say in the report that the process set up an io_uring, whose I/O
  // no filter sees (docs/seccomp.md).
  if (!syscalls.empty() &&
      std::find(syscalls.begin(), syscalls.end(), SCMP_SYS(io_uring_setup)) == syscalls.end())
    notify(SCMP_SYS(io_uring_setup));
  // Not to fault them either: after these, an fd number may name another file or a tid
  // another task, so the supervisor forgets what it classified (fd_cache.h).
  if (!syscalls.empty())
    for (int nr : fd_table_syscalls())
      if (std::find(syscalls.begin(), syscalls.end(), nr) == syscalls.end()) notify(nr);
  UniqueFd mem(::memfd_create("faultline-bpf", MFD_CLOEXEC));
  if (!mem) throw std::runtime_error("seccomp backend: memfd_create failed");
  check(seccomp_export_bpf(ctx.get(), mem.get()), "seccomp_export_bpf");
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  std::vector<sock_filter> code(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (size <= 0 || ::pread(mem.get(), code.data(), static_cast<std::size_t>(size), 0) != size)
    throw std::runtime_error("seccomp backend: cannot read the exported filter back");
  return FilterProgram(std::move(code), syscalls.size(), std::move(notified));
}

bool FilterProgram::notifies(int nr) const {
  return std::find(notified_.begin(), notified_.end(), nr) != notified_.end();
}

}  // namespace faultline::seccomp
