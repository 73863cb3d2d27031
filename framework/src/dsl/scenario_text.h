// load_scenario() for a scenario's text already in memory (the fuzz target
// tests/fuzz/fuzz_scenario_loader.cc, and tests that need no file): the same loader and
// validation, every problem a Diagnostic.
#pragma once

#include <filesystem>
#include <string>

#include "faultline/scenario.h"

namespace faultline {

// `file` only names the scenario's file (in diagnostics) and folder (Scenario::dir); it is
// not read.
[[nodiscard]] LoadResult load_scenario_text(const std::string& text,
                                            const std::filesystem::path& file);

}  // namespace faultline
