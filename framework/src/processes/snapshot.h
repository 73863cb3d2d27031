// What a hanging process is doing, for timeout diagnostics: /proc state, current syscall,
// wait channel and, when gdb is installed, a backtrace of every thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "faultline/duration.h"
#include "processes/supervisor.h"

namespace faultline {

// `gdb_limit` zero: no backtrace. Fields stay empty for what /proc no longer has.
[[nodiscard]] ProcessSnapshot snapshot_process(pid_t pid, Duration gdb_limit);

// /proc/PID/syscall text -> "clock_nanosleep(0x0, 0x0, 0x7ffc...)" or "running".
[[nodiscard]] std::string describe_syscall(std::string_view proc_syscall);

// "S" -> "S (sleeping)".
[[nodiscard]] std::string describe_state(char state);

// gdb's output without its lines about itself (its thread library, a source file it could not
// open, its detaching): the frames and what went wrong stay.
[[nodiscard]] std::string without_gdb_chatter(const std::string& output);

}  // namespace faultline
