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
// The first `at_most` of the names a file declares, for a hint ("a, b, c and 97 more"), each
// cut to an excerpt when long: a file of 100,000 names must not make every one of its
// diagnostics 100,000 names long (loading stays linear in the file's size).
[[nodiscard]] std::string join_some_words(const std::vector<std::string_view>& words,
                                          std::size_t at_most = 16);

}  // namespace faultline
