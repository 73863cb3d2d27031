// Diagnostics: a problem in the user's input, located at file:line:column, with a hint.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace faultline {

struct SourceLocation {
  std::string file;  // empty for command-line input
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
};

struct Diagnostic {
  SourceLocation where;
  std::string message;  // what is wrong
  std::string hint;     // how to fix it; may be empty

  // "file:line:column: error: message" plus "  hint: ..." on the next line when present.
  [[nodiscard]] std::string format() const;
};

using Diagnostics = std::vector<Diagnostic>;

// A Diagnostic from "message" or "message\nhint" (the form FaultSpecBuilder's setters return).
[[nodiscard]] Diagnostic make_diagnostic(SourceLocation where, std::string_view message_and_hint);

}  // namespace faultline
