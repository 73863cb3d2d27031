// explore's HTML report (`faultline explore --html FILE`, `faultline merge --html FILE`): one
// self-contained page per exploration result with the matrix of fault points (call sites as
// rows, faults as columns, one square per occurrence coloured by its verdict) and the
// findings with their repro commands to copy. Ids, classes and data- attributes are stable
// (docs/explore.md, "HTML report").
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "explore/exploration.h"

namespace faultline::explore {

[[nodiscard]] std::string to_html(const std::vector<Exploration>& all);
// Throws std::runtime_error when the file cannot be written.
void write_html(const std::filesystem::path& file, const std::vector<Exploration>& all);

}  // namespace faultline::explore
