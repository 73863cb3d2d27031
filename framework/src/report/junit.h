// JUnit XML result of a run (`--junit FILE`), for CI systems that show test reports
// (GitLab, Jenkins, GitHub Actions through a reporter): one testcase per scenario, its
// failure message the first violation and its text the console report of the scenario.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "faultline/run_result.h"

namespace faultline {

[[nodiscard]] std::string to_junit(const std::vector<ScenarioResult>& results);
// Throws std::runtime_error when the file cannot be written.
void write_junit(const std::filesystem::path& file, const std::vector<ScenarioResult>& results);

}  // namespace faultline
