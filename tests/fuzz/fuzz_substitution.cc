// Fuzz target: the ${...} substitution expander (runner/substitution.h): the input is a
// run:/env:/cwd: value, expanded against a run's values and checked against a scenario as
// preflight does. "$$" and the env.VAR:-DEFAULT form are part of the grammar exercised.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "faultline/scenario.h"
#include "runner/substitution.h"

using namespace faultline;

namespace {

Scenario fixed_scenario() {
  Scenario s;
  s.name = "fuzz";
  s.file = "/nonexistent/fuzz/scenario.yaml";
  s.dir = "/nonexistent/fuzz";
  for (auto [name, type] :
       {std::pair{"sock", ChannelType::unix_stream}, std::pair{"q", ChannelType::posix_mq},
        std::pair{"port", ChannelType::tcp}}) {
    ChannelSpec c;
    c.name = name;
    c.type = type;
    s.channels.push_back(c);
  }
  return s;
}

Substitutions fixed_values() {
  Substitutions values;
  values.set("sock.path", "/tmp/faultline-fuzz/sock");
  values.set("q.name", "/faultline-fuzz-q");
  values.set("port.port", "40123");
  values.set("run_dir", "/tmp/faultline-fuzz");
  values.set("scenario_dir", "/nonexistent/fuzz");
  return values;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv("FAULTLINE_FUZZ_SET", "value", 1);
  ::unsetenv("FAULTLINE_FUZZ_UNSET");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Scenario scenario = fixed_scenario();
  static const Substitutions values = fixed_values();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string out, error;
  const bool expanded = values.expand(text, out, error);
  if (expanded != error.empty()) std::abort();  // an error exactly when it fails
  std::size_t problems = 0;
  for (const auto& p : check_references(text, scenario)) problems += p.message.size();
  return problems == static_cast<std::size_t>(-1);
}
