// ${...} substitution; see substitution.h.
#include "runner/substitution.h"

#include <cstdlib>

namespace faultline {

void Substitutions::set(std::string name, std::string value) {
  values_[std::move(name)] = std::move(value);
}

bool Substitutions::expand(std::string_view text, std::string& out, std::string& error) const {
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error = "unterminated ${ in \"" + std::string(text) + "\"";
      return false;
    }
    std::string_view name = text.substr(i + 2, close - i - 2);
    if (name.substr(0, 4) == "env.") {
      const char* v = std::getenv(std::string(name.substr(4)).c_str());
      out += v ? v : "";
    } else if (auto it = values_.find(name); it != values_.end()) {
      out += it->second;
    } else {
      error = "unknown substitution ${" + std::string(name) + "}";
      return false;
    }
    i = close;
  }
  return true;
}

}  // namespace faultline
