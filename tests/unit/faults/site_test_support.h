// Helpers of the site= tests: the site_probe program, its functions' addresses and the lines
// of its source that carry a marker.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace faultline::test {

// build/bin/site_probe
[[nodiscard]] std::filesystem::path probe_program();
// The link-time address of a site_probe function, as the program itself reports it.
[[nodiscard]] std::uint64_t probe_address(const std::string& function);
// The 1-based line of site_probe.c that contains `marker` (the first one).
[[nodiscard]] int probe_line(const std::string& marker);

}  // namespace faultline::test
