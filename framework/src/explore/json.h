// explore's JSON: the result (`--json`) and the plan (`--plan-only --json`, `--plan`), one
// document shape for both (a plan is an exploration nothing has run yet). The schema is
// documented in docs/explore.md and versioned by "faultline_explore".
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/exploration.h"

namespace faultline::explore {

inline constexpr int kJsonVersion = 1;

[[nodiscard]] nlohmann::json to_json(const Exploration& e, bool with_timings = true);
[[nodiscard]] nlohmann::json to_json(const std::vector<Exploration>& all, bool plan_only = false);

// The inverse of to_json. Throws std::runtime_error on a document of another shape or
// version.
[[nodiscard]] std::vector<Exploration> explorations_from_json(const nlohmann::json& j);

// Joins shard results of one plan: every point's outcome from the shard that ran it,
// findings grouped again. Throws std::runtime_error when they are not shards of one plan.
[[nodiscard]] std::vector<Exploration> merge(const std::vector<std::vector<Exploration>>& parts);

void write_json_file(const std::filesystem::path& file, const nlohmann::json& j);

}  // namespace faultline::explore
