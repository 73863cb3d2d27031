// Wall time of a two-process pipe scenario run end to end by faultline, against the same two
// programs connected by a shell pipeline, side by side in one run: the commands take turns
// (one round = each command once, the order alternating), so that load on the machine falls
// on all of them alike. Reports; asserts nothing.
//   bench_scenario_vs_shell [ITERATIONS] [--also FAULTLINE]
// --also: another faultline binary (an older build, say) measured in the same rounds; its
// interposer is looked for next to it as for ours (../lib).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

double measure_once(const std::vector<std::string>& argv) {
  auto t0 = Clock::now();
  auto r = faultline::test::run_command(argv, {"NO_COLOR=1"});
  auto t1 = Clock::now();
  if (r.exit_code != 0) {
    std::fprintf(stderr, "%s failed (%d):\n%s%s\n", argv[0].c_str(), r.exit_code, r.out.c_str(),
                 r.err.c_str());
    std::exit(1);
  }
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size(), ms.front()};
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 30;
  std::string also;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--also") == 0 && i + 1 < argc)
      also = argv[++i];
    else
      iterations = std::max(1, std::atoi(argv[i]));
  }
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
  struct Command {
    std::string label;
    std::vector<std::string> argv;
    std::vector<double> ms;
  };
  std::vector<Command> commands{
      {"sh -c 'seq | wc -l'", {"/bin/sh", "-c", "seq " + lines + " | wc -l"}, {}},
      {"faultline run (scenario)",
       {faultline::test::faultline_exe().string(), "run", scenario.path().string()},
       {}}};
  if (!also.empty())
    commands.push_back({"--also faultline run", {also, "run", scenario.path().string()}, {}});
  // Warm every path once (page cache, dynamic loader) before measuring.
  for (auto& c : commands) (void)measure_once(c.argv);
  for (int i = 0; i < iterations; ++i) {
    for (std::size_t k = 0; k < commands.size(); ++k) {
      // Rotate the order: no command always runs right after the same other one.
      Command& c = commands[(k + static_cast<std::size_t>(i)) % commands.size()];
      c.ms.push_back(measure_once(c.argv));
    }
  }
  std::printf("two-process pipe scenario (seq %s | wc -l), %d rounds, interleaved\n", lines.c_str(),
              iterations);
  std::printf("%-28s %10s %10s %10s\n", "", "median ms", "mean ms", "min ms");
  std::vector<Stats> s;
  for (const auto& c : commands) {
    s.push_back(stats(c.ms));
    std::printf("%-28s %10.2f %10.2f %10.2f\n", c.label.c_str(), s.back().median_ms,
                s.back().mean_ms, s.back().min_ms);
  }
  for (std::size_t k = 1; k < commands.size(); ++k)
    std::printf("%s / shell (median): %.2fx, extra per run: %.2f ms (min: %.2fx, %+.2f ms)\n",
                commands[k].label.c_str(), s[k].median_ms / s[0].median_ms,
                s[k].median_ms - s[0].median_ms, s[k].min_ms / s[0].min_ms,
                s[k].min_ms - s[0].min_ms);
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) == 3)
    std::printf("load average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  return 0;
}
