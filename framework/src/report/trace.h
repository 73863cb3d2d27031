// Timeline of a run (`--trace FILE`) as Chrome Trace Event JSON, the JSON Object Format that
// Perfetto (ui.perfetto.dev) and chrome://tracing open: a trace process per scenario, a track
// (trace thread) per scenario process with its lifetime, ready and end, and every injected
// fault, snapshot at the timeout and violation as an instant on it (docs/cli.md, "Timeline").
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/run_result.h"

namespace faultline {

// {"traceEvents": [...], "displayTimeUnit": "ms"}: the metadata events first, then every
// other event sorted by ts (µs). Scenarios are placed by their wall-clock start relative to
// the earliest one (so `run -j` shows them side by side), or one after the other when a
// result does not say when it started.
[[nodiscard]] nlohmann::json to_trace(const std::vector<ScenarioResult>& results);
// Throws std::runtime_error when the file cannot be written.
void write_trace(const std::filesystem::path& file, const std::vector<ScenarioResult>& results);

}  // namespace faultline
