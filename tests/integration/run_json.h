// `faultline run SCENARIO --json FILE` for the integration tests: runs it, keeps the command's
// result, and returns the scenario's entry of the JSON report.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support.h"

namespace faultline::test {

inline nlohmann::json run_json(const TempScenario& s, CommandResult& r,
                               const std::vector<std::string>& extra = {}) {
  const std::filesystem::path out = s.dir() / "result.json";
  std::vector<std::string> args{"run", s.path().string(), "--json", out.string(), "--no-backtrace"};
  args.insert(args.end(), extra.begin(), extra.end());
  r = run_faultline(args);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(std::filesystem::exists(out));
  std::ifstream in(out);
  return nlohmann::json::parse(in)["scenarios"][0];
}

}  // namespace faultline::test
