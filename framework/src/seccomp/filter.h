// The BPF program of one process: SCMP_ACT_NOTIFY for the syscalls that carry a rule, allow
// for everything else. Built in the runner, installed by the child between fork and exec.
#pragma once

#include <linux/filter.h>

#include <vector>

struct fl_control;

namespace faultline::seccomp {

class FilterProgram final {
 public:
  // Throws std::runtime_error when libseccomp or the kernel lacks user notification.
  [[nodiscard]] static FilterProgram build(const fl_control& control);

  [[nodiscard]] const sock_fprog& prog() const { return prog_; }
  [[nodiscard]] std::size_t syscall_count() const { return syscalls_; }
  // Whether syscall `nr` of this architecture is notified (a rule's, or one the supervisor
  // watches for its own bookkeeping).
  [[nodiscard]] bool notifies(int nr) const;

  FilterProgram(FilterProgram&& o) noexcept;
  FilterProgram& operator=(FilterProgram&&) = delete;
  FilterProgram(const FilterProgram&) = delete;
  FilterProgram& operator=(const FilterProgram&) = delete;
  ~FilterProgram() = default;

 private:
  FilterProgram(std::vector<sock_filter> code, std::size_t syscalls, std::vector<int> notified);
  std::vector<sock_filter> code_;
  std::vector<int> notified_;
  sock_fprog prog_{};
  std::size_t syscalls_ = 0;
};

}  // namespace faultline::seccomp
