// Joining words into one line ("a, b, c") for hints, listings and messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// The words with `separator` between them. A separator is written only once the text so far
// is not empty, so leading empty words leave no separator behind.
[[nodiscard]] std::string join_words(const std::vector<std::string_view>& words,
                                     std::string_view separator = ", ");
[[nodiscard]] std::string join_words(const std::vector<std::string>& words,
                                     std::string_view separator = ", ");

}  // namespace faultline
