// Signal names from glibc's table (sigabbrev_np); see signal_names.h.
#include "util/signal_names.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <charconv>

namespace faultline {

std::optional<int> signal_from_name(std::string_view name) {
  if (!name.empty() &&
      std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // from_chars, not stoi: a number of 20 digits is no signal, not an exception.
    int n = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec == std::errc{} && end == name.data() + name.size() && n > 0 && n < NSIG) return n;
    return std::nullopt;
  }
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (int s = 1; s < NSIG; ++s) {
    const char* n = sigabbrev_np(s);
    if (n && name == n) return s;
  }
  return std::nullopt;
}

const std::vector<std::string>& signal_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int s = 1; s < NSIG; ++s) {
      if (const char* n = sigabbrev_np(s)) {
        out.push_back(std::string("SIG") + n);
        out.emplace_back(n);
      }
    }
    return out;
  }();
  return names;
}

int max_signal_number() { return NSIG - 1; }

std::string signal_name(int sig) {
  const char* n = sigabbrev_np(sig);
  return n ? std::string("SIG") + n : std::to_string(sig);
}

std::string signal_in_words(int sig) {
  const char* n = sigabbrev_np(sig);
  return n ? std::string("SIG") + n : "signal " + std::to_string(sig);
}

}  // namespace faultline
