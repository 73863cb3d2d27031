// JSON result of a run (`--json FILE`): the schema is documented in docs/reports.md.
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/run_result.h"

namespace faultline {

[[nodiscard]] nlohmann::json to_json(const ScenarioResult& r);
[[nodiscard]] nlohmann::json to_json(const std::vector<ScenarioResult>& results);
// The inverse of to_json(const ScenarioResult&) (`run -j` reads its workers' results with
// it). Throws nlohmann::json::exception on a document of another shape.
[[nodiscard]] ScenarioResult scenario_from_json(const nlohmann::json& j);
// Throws std::runtime_error when the file cannot be written.
void write_json(const std::filesystem::path& file, const std::vector<ScenarioResult>& results);

}  // namespace faultline
