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

std::string join_some_words(const std::vector<std::string_view>& words, std::size_t at_most) {
  constexpr std::size_t kLongestWord = 64, kWordExcerpt = 48;
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < words.size() && i < at_most; ++i) {
    std::string_view w = words[i];
    if (w.size() <= kLongestWord) {
      shown.emplace_back(w);
      continue;
    }
    std::size_t cut = kWordExcerpt;
    while (cut > 0 && (static_cast<unsigned char>(w[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    shown.push_back(std::string(w.substr(0, cut)) + "...");
  }
  std::string out = join_any(shown, ", ");
  if (words.size() > at_most) out += " and " + std::to_string(words.size() - at_most) + " more";
  return out;
}

}  // namespace faultline
