// --pause-on-fault: SIGUSR1 to the runner resumes a paused run (processes/supervisor.h reads it
// through a signalfd), so it is blocked before the run starts any thread, and stays blocked:
// one that comes late must not end the runner.
#pragma once

#include <signal.h>

namespace faultline::cli {

inline void block_resume_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace faultline::cli
