// What one fault point's run says about the programs: explore's verdict classes
// (docs/explore.md, "Verdicts").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "explore/plan.h"
#include "faultline/run_result.h"

namespace faultline::explore {

// In order of severity: the bugs first, then what is fine, then what says nothing.
enum class Verdict {
  crash,                // a process died of a signal nobody sent it
  hang,                 // the scenario timed out
  silent_wrong_result,  // every process exited as expected, an output or a peer was wrong
  leak,                 // an IPC object was left behind
  propagated,           // the faulted process exited 0, another one failed because of it
  not_absorbed,         // a transient fault turned into a failure
  unexplained_failure,  // a hard fault: the faulted process failed without a word on stderr
  clean_failure,        // a hard fault: the faulted process gave up, said why, nothing else broke
  stranded,             // a hard fault ended the faulted process; a peer waits forever on an
                        // object that cannot tell it so (System V queue or semaphore, FIFO open)
  absorbed,             // every expectation held
  unreached,            // the fault never fired (the site was not reached this time)
  unrealistic,          // it fired where the kernel could not have failed that way
  setup,                // the run could not be set up: no verdict
};

[[nodiscard]] std::string_view to_string(Verdict v);
[[nodiscard]] std::optional<Verdict> verdict_from_string(std::string_view s);
[[nodiscard]] bool is_bug(Verdict v);

struct Outcome {
  Verdict verdict = Verdict::setup;
  std::string process;  // the process the verdict is about ("" scenario-wide)
  std::string detail;   // one line: why
  double duration_ms = 0;
  // A setup outcome because of a per-user or system limit other runs share (RLIMIT_MSGQUEUE,
  // msgmni, ...): run alone, the point may get a verdict.
  bool setup_limit = false;
};

struct ClassifyOptions {
  // Any difference from the baseline in exit statuses or standard output is a wrong result.
  bool compare_baseline = false;
  const ScenarioResult* baseline = nullptr;
};

// The verdict of `result`, the run of `point` (its fault first, `:optional`).
[[nodiscard]] Outcome classify(const Plan& plan, const Point& point, const ScenarioResult& result,
                               const ClassifyOptions& options);

}  // namespace faultline::explore
