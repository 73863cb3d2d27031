// ${...} substitution in run:, env: and cwd: values: channel attributes, run_dir,
// scenario_dir and env.VAR.
#pragma once

#include <map>
#include <string>
#include <string_view>

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

}  // namespace faultline
