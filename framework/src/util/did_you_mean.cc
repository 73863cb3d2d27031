// Closest-match suggestions; see did_you_mean.h.
#include "util/did_you_mean.h"

#include <algorithm>
#include <cctype>

namespace faultline {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Levenshtein distance, case-insensitive: "Timeout" is a typo of "timeout", not a new word.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool is_prefix(std::string_view shorter, std::string_view longer) {
  if (shorter.size() < 2 || shorter.size() > longer.size()) return false;
  return std::equal(shorter.begin(), shorter.end(), longer.begin(),
                    [](char x, char y) { return lower(x) == lower(y); });
}

// A suggestion is for a typo of a name someone wrote: a word longer than this is compared by
// prefix only (the edit distance of two 1 MB words costs 10^12 steps), and a call looks at no
// more candidates than this (a file of 100,000 names with 100,000 wrong references must load
// in linear time, not compare each reference with each name).
constexpr std::size_t kLongestTypo = 64;
constexpr std::size_t kMostCandidates = 200;

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_distance = 0;
  std::size_t looked_at = 0;
  for (auto c : candidates) {
    if (++looked_at > kMostCandidates) break;
    // The distance is at least the difference of the lengths: a word much longer or shorter
    // than a candidate is no typo of it, unless one is a prefix of the other. Checked first,
    // so that a 2 MB value costs a comparison per candidate, not 2 MB times its length.
    const std::size_t apart = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (apart > 2 && !is_prefix(word, c) && !is_prefix(c, word)) continue;
    const bool too_long = word.size() > kLongestTypo || c.size() > kLongestTypo;
    if (too_long && !is_prefix(word, c) && !is_prefix(c, word)) continue;
    std::size_t d = too_long ? apart : edit_distance(word, c);
    // Replacing every letter of a short word is not a typo of it.
    bool close = (d <= 2 && d < word.size()) || is_prefix(word, c) || is_prefix(c, word);
    if (!close || word == c) continue;
    // A prefix is what someone abbreviating meant ("prob" is probability, not drop).
    if (is_prefix(word, c)) d = 0;
    if (best.empty() || d < best_distance) {
      best = std::string(c);
      best_distance = d;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string match = closest_match(word, candidates);
  return match.empty() ? std::string() : "did you mean '" + match + "'?";
}

}  // namespace faultline
