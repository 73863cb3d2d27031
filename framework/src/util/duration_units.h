// The units parse_duration (faultline/duration.h) accepts, for what describes the grammar
// elsewhere (`faultline schema`).
#pragma once

#include <string_view>
#include <vector>

namespace faultline {

// Largest first: "m", "s", "ms", "us", "ns".
[[nodiscard]] const std::vector<std::string_view>& duration_units();

}  // namespace faultline
