// See join_words.h.
#include "util/join_words.h"

namespace faultline {
namespace {

template <typename Words>
std::string join_any(const Words& words, std::string_view separator) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += separator;
    out += w;
  }
  return out;
}

}  // namespace

std::string join_words(const std::vector<std::string_view>& words, std::string_view separator) {
  return join_any(words, separator);
}

std::string join_words(const std::vector<std::string>& words, std::string_view separator) {
  return join_any(words, separator);
}

}  // namespace faultline
