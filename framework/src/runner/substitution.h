// ${...} substitution in run:, env: and cwd: values: channel attributes, run_dir,
// scenario_dir and env.VAR (env.VAR:-DEFAULT when it may be unset).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/scenario.h"

namespace faultline {

class Substitutions final {
 public:
  // `name` is "ctl.path", "run_dir", "scenario_dir"; env.VAR is looked up in the environment.
  void set(std::string name, std::string value);
  // Replaces every ${...}; `$$` stays a single `$`. Returns false and names the first unknown
  // reference in `error` when one cannot be resolved.
  [[nodiscard]] bool expand(std::string_view text, std::string& out, std::string& error) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// A reference that cannot be resolved, found before anything is provisioned.
struct SubstitutionProblem {
  std::string message;  // "unknown channel 'sock' in ${sock.pth}"
  std::string hint;     // "did you mean 'sck'?"
};

// Every ${...} of `text` checked against the scenario: channel and attribute names,
// run_dir/scenario_dir, and env.VAR (set, or given a default). Empty when all resolve.
[[nodiscard]] std::vector<SubstitutionProblem> check_references(std::string_view text,
                                                                const Scenario& scenario);

}  // namespace faultline
