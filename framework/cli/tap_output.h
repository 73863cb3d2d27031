// Where `--tap TARGET` writes: a file, or stdout for `--tap -`. With `-` the TAP stream owns
// stdout for the whole command: from construction on, everything else written to fd 1 (the
// console report, the runners forked by -j) goes to stderr, as a Perl test's diag() does, so
// that a harness reading stdout sees TAP and nothing else.
#pragma once

#include <string>

#include "util/unique_fd.h"

namespace faultline::cli {

class TapOutput final {
 public:
  // "" writes nothing.
  explicit TapOutput(std::string target);
  ~TapOutput();  // gives stdout back
  TapOutput(const TapOutput&) = delete;
  TapOutput& operator=(const TapOutput&) = delete;

  [[nodiscard]] bool wanted() const { return !target_.empty(); }
  // Throws std::runtime_error when it cannot be written.
  void write(const std::string& document);

 private:
  std::string target_;
  UniqueFd stdout_;  // the real stdout, when target_ is "-"
};

}  // namespace faultline::cli
