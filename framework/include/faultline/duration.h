// Durations as users write them: "250ms", "10s", "1.5s", "2m", "500us", "100ns".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace faultline {

using Duration = std::chrono::nanoseconds;

// nullopt when the text is not a duration; a bare number is rejected (the unit is required).
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text);

// Shortest exact form: "250ms", "10s", "1.5s".
[[nodiscard]] std::string format_duration(Duration d);

}  // namespace faultline
