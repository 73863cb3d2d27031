// Helpers of the showcase tests: run one scenario of scenarios/ through the CLI and judge the
// JSON result it reports.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "support.h"

namespace faultline::test::showcase {

// A folder for one run's JSON report, removed with everything in it.
class ReportDir final {
 public:
  [[nodiscard]] std::filesystem::path file() const { return dir_.path() / "result.json"; }

 private:
  TempDir dir_{"flshowcase"};
};

struct ShowcaseRun {
  CommandResult command;
  nlohmann::json scenario;  // the one entry of "scenarios" in the JSON report
};

// Runs `faultline run scenarios/FILE --json OUT` and reads back the scenario's result. No
// backtraces: the syscall a hung process is blocked in is reported without them.
inline ShowcaseRun run_showcase(const std::string& file) {
  ReportDir report;
  ShowcaseRun run;
  run.command = run_faultline({"run", (scenarios_dir() / file).string(), "--json",
                               report.file().string(), "--no-backtrace"});
  INFO("faultline stdout:\n" << run.command.out << "\nfaultline stderr:\n" << run.command.err);
  std::ifstream in(report.file());
  REQUIRE(in.good());
  nlohmann::json all = nlohmann::json::parse(in);
  REQUIRE(all.at("scenarios").size() == 1);
  run.scenario = all.at("scenarios").at(0);
  return run;
}

inline const nlohmann::json& process(const nlohmann::json& scenario, const std::string& name) {
  for (const auto& p : scenario.at("processes"))
    if (p.at("name") == name) return p;
  throw std::runtime_error("no process named " + name + " in the report");
}

// The message of the violation of this kind for this process ("" for scenario-wide); "" when
// there is none.
inline std::string violation(const nlohmann::json& scenario, const std::string& kind,
                             const std::string& proc) {
  for (const auto& v : scenario.at("violations"))
    if (v.at("kind") == kind && v.at("process") == proc) return v.at("message");
  return "";
}

// A fault that never fired proves nothing: every rule of the scenario must have fired.
inline bool every_fault_fired(const nlohmann::json& scenario) {
  if (scenario.at("faults").empty()) return false;
  for (const auto& f : scenario.at("faults"))
    if (f.at("fired").get<std::uint64_t>() < 1) return false;
  return true;
}

// Whether every injected fault is one the kernel would produce in the state the program was
// in (no event flagged unrealistic): a showcase must catch the naive program honestly.
inline bool every_fault_realistic(const nlohmann::json& scenario) {
  for (const auto& f : scenario.at("faults"))
    if (f.at("unrealistic").get<std::uint64_t>() != 0) return false;
  for (const auto& e : scenario.at("events"))
    if (!e.at("unrealistic").is_null()) return false;
  return true;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline std::string describe(const ShowcaseRun& run) {
  return "faultline exit " + std::to_string(run.command.exit_code) + "\nstdout:\n" +
         run.command.out + "\nstderr:\n" + run.command.err + "\nresult:\n" + run.scenario.dump(2);
}

// The common verdict of a robust scenario: faultline exits 0, nothing violated or leaked,
// every fault fired.
inline void check_passed(const ShowcaseRun& run) {
  CHECK(run.command.exit_code == 0);
  CHECK(run.scenario.at("passed") == true);
  CHECK(run.scenario.at("violations").empty());
  CHECK(run.scenario.at("leaks").empty());
  CHECK(every_fault_fired(run.scenario));
}

// The common verdict of a naive scenario: faultline exits 1 and every fault fired (so the
// failure is the fault's doing, not a fault that never came).
inline void check_failed(const ShowcaseRun& run) {
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(every_fault_fired(run.scenario));
  CHECK(violation(run.scenario, "faults", "").empty());
}

}  // namespace faultline::test::showcase
