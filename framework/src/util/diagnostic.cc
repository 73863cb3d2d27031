// Rendering of diagnostics; see faultline/diagnostic.h.
#include "faultline/diagnostic.h"

#include <fmt/format.h>

namespace faultline {
namespace {

// A diagnostic quotes the user's value ('...'); a value of megabytes must not be echoed
// whole: a quote longer than this keeps its start and says how long it was.
constexpr std::size_t kLongestQuote = 64;
constexpr std::size_t kQuoteExcerpt = 48;
// And no message or hint, whatever it holds, runs on longer than this.
constexpr std::size_t kLongestText = 2000;

std::string shortened(std::string_view text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find('\'', at);
    const auto close = open == std::string_view::npos ? open : text.find('\'', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view quoted = text.substr(open + 1, close - open - 1);
    out += text.substr(at, open + 1 - at);
    if (quoted.size() > kLongestQuote) {
      std::size_t cut = kQuoteExcerpt;
      while (cut > 0 && (static_cast<unsigned char>(quoted[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
      out += fmt::format("{}...' ({} bytes", quoted.substr(0, cut), quoted.size());
      out += ')';
      at = close + 1;
      continue;
    }
    out += quoted;
    out += '\'';
    at = close + 1;
  }
  out += text.substr(std::min(at, text.size()));
  if (out.size() > kLongestText) {
    const std::size_t more = out.size() - kLongestText;
    out.resize(kLongestText);
    out += fmt::format("... ({} more bytes)", more);
  }
  return out;
}

}  // namespace

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
  out += shortened(message);
  if (!hint.empty()) {
    out += "\n  hint: ";
    out += shortened(hint);
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
