// Scenario files named on the command line (`run`, `check`, `explore`).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "faultline/diagnostic.h"

namespace faultline::cli {

// Files as given, folders searched for *.yaml and *.yml (sorted); a folder with none or a
// path that does not exist is a diagnostic.
[[nodiscard]] std::vector<std::filesystem::path> expand_scenario_paths(
    const std::vector<std::string>& args, Diagnostics& diags);

}  // namespace faultline::cli
