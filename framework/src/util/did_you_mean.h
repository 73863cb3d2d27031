// "did you mean 'X'?" suggestions for misspelt keys, names and values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// The candidate closest to `word` (edit distance <= 2, or one is a prefix of the other),
// or "" when none is close enough.
[[nodiscard]] std::string closest_match(std::string_view word,
                                        const std::vector<std::string_view>& candidates);

// "did you mean 'X'?" or "" when nothing is close.
[[nodiscard]] std::string did_you_mean(std::string_view word,
                                       const std::vector<std::string_view>& candidates);

}  // namespace faultline
