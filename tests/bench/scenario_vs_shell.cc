// Wall time of a two-process pipe scenario run end to end by faultline, against the same two
// programs connected by a shell pipeline, side by side in one run. Reports; asserts nothing.
//   bench_scenario_vs_shell [ITERATIONS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double median_ms, mean_ms, min_ms;
};

Stats measure(const std::vector<std::string>& argv, int iterations) {
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    auto r = faultline::test::run_command(argv, {"NO_COLOR=1"});
    auto t1 = Clock::now();
    if (r.exit_code != 0) {
      std::fprintf(stderr, "%s failed (%d):\n%s%s\n", argv[0].c_str(), r.exit_code, r.out.c_str(),
                   r.err.c_str());
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size(), ms.front()};
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 30;
  const std::string lines = "100000";
  faultline::test::TempScenario scenario(
      "scenario: bench-pipe\n"
      "channels: { p: { type: pipe } }\n"
      "processes:\n"
      "  writer: { run: [seq, \"" +
      lines +
      "\"], stdout: { channel: p } }\n"
      "  reader: { run: [wc, -l], stdin: { channel: p }, expect: { stdout: { contains: \"" +
      lines + "\" } } }\n");
  std::vector<std::string> shell{"/bin/sh", "-c", "seq " + lines + " | wc -l"};
  std::vector<std::string> faultline_run{faultline::test::faultline_exe().string(), "run",
                                         scenario.path().string()};
  // Warm both paths once (page cache, dynamic loader) before measuring.
  measure(shell, 2);
  measure(faultline_run, 2);
  Stats native = measure(shell, iterations);
  Stats fl = measure(faultline_run, iterations);
  std::printf("two-process pipe scenario (seq %s | wc -l), %d runs each\n", lines.c_str(),
              iterations);
  std::printf("%-28s %10s %10s %10s\n", "", "median ms", "mean ms", "min ms");
  std::printf("%-28s %10.2f %10.2f %10.2f\n", "sh -c 'seq | wc -l'", native.median_ms,
              native.mean_ms, native.min_ms);
  std::printf("%-28s %10.2f %10.2f %10.2f\n", "faultline run (scenario)", fl.median_ms, fl.mean_ms,
              fl.min_ms);
  std::printf("ratio faultline/shell (median): %.2fx, extra per run: %.2f ms\n",
              fl.median_ms / native.median_ms, fl.median_ms - native.median_ms);
  return 0;
}
