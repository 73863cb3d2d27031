// Fuzz target: scenario YAML text -> diagnostics or a scenario, through what `faultline check`
// does without touching the file system: load_scenario (the DSL and its validation), the
// ${...} references checked against the scenario (preflight's check_references), and each
// diagnostic formatted as it would be printed. Program look-ups and site= resolution are
// left out: they read the machine's files (PATH, ELF), not the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dsl/scenario_text.h"
#include "runner/substitution.h"

using namespace faultline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  LoadResult r = load_scenario_text(text, "/nonexistent/fuzz/scenario.yaml");
  std::size_t printed = 0;
  for (const auto& d : r.diagnostics) printed += d.format().size();
  if (r.scenario) {
    const Scenario& s = *r.scenario;
    auto check = [&](const std::string& value) {
      for (const auto& problem : check_references(value, s))
        printed += problem.message.size() + problem.hint.size();
    };
    for (const auto& p : s.processes) {
      for (const auto& arg : p.argv) check(arg);
      for (const auto& [key, value] : p.env) check(value);
      check(p.cwd);
      if (p.ready.kind == Readiness::Kind::file) check(p.ready.value);
    }
    for (const auto& f : s.faults) printed += f.to_string().size();
  }
  return printed == static_cast<std::size_t>(-1);  // keeps the work from being optimised out
}
