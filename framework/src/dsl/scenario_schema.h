// `faultline schema`: a JSON Schema (draft-07) of the scenario format for editors
// (yaml-language-server, VS Code's YAML extension). Built from the loader's own key lists and
// the tables behind them (channel types, calls, errnos, signals, duration units), so it
// cannot drift from what `faultline check` accepts. Structure only: names a scenario refers
// to, an errno a call never returns and the like stay check's job.
#pragma once

#include <nlohmann/json.hpp>

namespace faultline {

// Throws std::logic_error when a key the loader accepts has no description here (a key was
// added to the format without one), so the schema's test fails rather than the schema
// silently missing it.
[[nodiscard]] nlohmann::ordered_json scenario_schema();

}  // namespace faultline
