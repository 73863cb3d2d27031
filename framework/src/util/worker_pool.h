// Jobs run in worker processes forked from this one, each worker taking one job after the
// other: `faultline run -j N` (a scenario per job) and `faultline explore` (a fault point per
// job). Processes, not threads: a runner owns its process tree (subreaper, kill of every
// descendant at the end). Forked, not exec'd: a worker holds what the caller loaded (the
// scenarios, the plan) and keeps a warm heap from one job to the next; one fork per worker,
// not per job (docs/performance.md).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace faultline {

struct WorkerPoolJobs {
  // In a worker: runs job `job` and fills `reply` (at most `max_reply` bytes, sent back as one
  // message). Returns false when the worker must end once the reply is sent (its run was
  // interrupted). A worker that throws ends with status 3, and its job is `lost`.
  std::function<bool(std::uint32_t job, std::string& reply)> work;
  // Here: the next job to start, or nullopt when there is none (now). Asked whenever a worker
  // is free and fewer than `width()` jobs run.
  std::function<std::optional<std::uint32_t>()> next;
  // Here: how many jobs may run at once (at least 1 is used); asked before each start.
  std::function<std::size_t()> width;
  // Here: a job's reply. `alone`: no other job ran at any moment of its run.
  std::function<void(std::uint32_t job, std::string_view reply, bool alone)> done;
  // Here: a job whose worker ended before it replied, with the worker's wait status.
  std::function<void(std::uint32_t job, int wait_status, bool alone)> lost;
  std::size_t max_reply = 64 * 1024;
  // Called once it is forked, in the worker (before any job); optional.
  std::function<void()> on_fork;
  // Called here after each fork, with its wall time in ms; optional.
  std::function<void(double ms)> forked;
  // Called here after each fork, with the worker's pid (the leader of its own process group),
  // before it is sent a job: where the caller records it, so that `faultline gc` waits for a
  // SIGKILLed parent's workers to be gone (they die of their death signal, but may still be
  // exiting when gc is done with the parent's folder); optional.
  std::function<void(pid_t worker)> started;
  // Every SIGINT/SIGTERM is passed on to the busy workers, not only the first: a runner that
  // gets a second one kills its processes at once, without the grace (`run -j`: a second
  // Ctrl-C). Off: only the first is.
  bool pass_every_signal = false;
};

// Runs jobs in workers until `next` has none and every started job has replied or been lost.
// SIGINT and SIGTERM to this process (blocked while it runs, with SIGCHLD, and read through a
// signalfd) stop starting jobs; the first one is passed on once to every busy worker, whose
// runner stops its processes and cleans up; *interrupted is set to it (0 otherwise). The
// workers start in a process group of their own, with the signal mask from before the call.
// When anything here throws, busy workers get SIGTERM and every worker is waited for.
void run_in_workers(const WorkerPoolJobs& jobs, int* interrupted);

}  // namespace faultline
