// Fuzz target: the `--fault SPEC` parser ([PROCESS/]CALL[,CALL...](:KEY[=VALUE])*) and the
// validation it shares with the scenario's faults: list (FaultSpecBuilder), the canonical text
// of what it accepts (which must parse again to the same text), and site= contexts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "faultline/fault_spec.h"

using namespace faultline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Diagnostics diagnostics;
  std::optional<FaultSpec> spec = parse_fault_spec(text, diagnostics);
  for (const auto& d : diagnostics) (void)d.format();
  (void)site_context_problem(text);
  if (!spec) return 0;
  // What was accepted prints as a spec that means the same: it parses again, to the same text.
  const std::string canonical = spec->to_string();
  Diagnostics again;
  std::optional<FaultSpec> reparsed = parse_fault_spec(canonical, again);
  if (!reparsed || reparsed->to_string() != canonical) std::abort();
  return 0;
}
