// Fuzz target: the JSON result readers: `faultline report FILE` (print_result_summary),
// `run -j`'s read-back of a worker's result (scenario_from_json) and `faultline merge`
// (explorations_from_json, merge). Each may reject a document with the exception its caller
// catches and turns into an input error; any other exception, a crash or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "explore/json.h"
#include "report/json.h"
#include "report/result_summary.h"

using namespace faultline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  // faultline report: a std::runtime_error is "not a result" (cmd_report).
  try {
    std::ostringstream out;
    (void)print_result_summary(out, j, ResultSummaryOptions{});
  } catch (const std::runtime_error&) {
  }
  // run -j: a document of another shape throws nlohmann::json::exception (parallel_run.cc).
  if (j.is_object() && j.contains("scenarios") && j["scenarios"].is_array()) {
    for (const auto& s : j["scenarios"]) {
      try {
        ScenarioResult r = scenario_from_json(s);
        (void)to_json(r).dump();
      } catch (const nlohmann::json::exception&) {
      }
    }
  }
  // faultline merge: any std::exception is reported as an input error (explore_command.cc).
  try {
    auto part = explore::explorations_from_json(j);
    (void)explore::merge({part, part});
  } catch (const std::exception&) {
  }
  return 0;
}
