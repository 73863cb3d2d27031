// TAP result of a run (`--tap FILE`), for prove-style harnesses: TAP version 13, a test point
// per scenario run (per run under --repeat), a YAML diagnostic block under each failure with
// the root-cause violation, the faults fired, the seed and the command that reproduces it.
// A scenario that could not be set up is `not ok` too (no `# SKIP`: a harness would count
// it as passed, and nothing was tested); its block says `severity: setup`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "faultline/run_result.h"

namespace faultline {

// `expect_fail`: the globs of `run --expect-fail` (a scenario of a matching file is expected to
// fail on a verdict: then it is `ok`, with the block of what was caught).
[[nodiscard]] std::string to_tap(const std::vector<ScenarioResult>& results,
                                 const std::vector<std::string>& expect_fail = {});

// Helpers shared with explore's TAP (explore/report.cc).
// A test point's description: one line, `#` escaped (it would start a directive).
[[nodiscard]] std::string tap_description(std::string_view text);
// A YAML double-quoted scalar (JSON string syntax, which YAML 1.2 reads), ASCII only.
[[nodiscard]] std::string tap_yaml_string(std::string_view text);

}  // namespace faultline
