// Rendering of diagnostics; see faultline/diagnostic.h.
#include "faultline/diagnostic.h"

#include <fmt/format.h>

namespace faultline {

std::string Diagnostic::format() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) {
      out += fmt::format(":{}", where.line);
      if (where.column > 0) out += fmt::format(":{}", where.column);
    }
    out += ": ";
  }
  out += "error: ";
  out += message;
  if (!hint.empty()) {
    out += "\n  hint: ";
    out += hint;
  }
  return out;
}

Diagnostic make_diagnostic(SourceLocation where, std::string_view message_and_hint) {
  Diagnostic d{std::move(where), {}, {}};
  auto newline = message_and_hint.find('\n');
  d.message = std::string(message_and_hint.substr(0, newline));
  if (newline != std::string_view::npos) d.hint = std::string(message_and_hint.substr(newline + 1));
  return d;
}

}  // namespace faultline
