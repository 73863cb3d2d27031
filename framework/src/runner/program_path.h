// Where the program of a `run:` entry lives: relative paths against the scenario folder,
// bare names on PATH (DESIGN.md section 2).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace faultline {

[[nodiscard]] std::optional<std::filesystem::path> resolve_program(
    const std::string& program, const std::filesystem::path& scenario_dir);

}  // namespace faultline
