// `faultline run -j N` scaling: N copies of a small scenario in a temporary folder, run by
// `faultline run -j1 FOLDER` and `faultline run -j2 FOLDER` in one go, rounds interleaved (the
// order alternates), so that both see the same machine. Prints wall time, runs per second and
// CPU per run (getrusage of the children: faultline, its workers and their processes) of
// each, and the throughput of -j2 over -j1 per round. Reports; asserts nothing but that every
// run passes.
//   bench_run_parallel [COPIES [ROUNDS]] [--showcase]
// --showcase: scenarios/pipe/robust.yaml (100 records read in 7-byte pieces, ~900 faults)
// run COPIES times with --repeat, instead of copies of the two-process pipe
// `printf hello | cat`.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support.h"
#include "util/temp_dir.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kPipeScenario = R"y(scenario: pipe-{}
channels: {{ p: {{ type: pipe }} }}
processes:
  writer: {{ run: [printf, "hello\n"], stdout: {{ channel: p }} }}
  reader: {{ run: [cat], stdin: {{ channel: p }}, expect: {{ stdout: {{ contains: hello }} }} }}
)y";

double cpu_ms_of_children() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + t.tv_usec / 1e3; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

struct Sample {
  double wall_ms, cpu_ms;
};

Sample run_once(const std::vector<std::string>& argv) {
  const double cpu0 = cpu_ms_of_children();
  const auto t0 = Clock::now();
  auto r = faultline::test::run_command(argv, {"NO_COLOR=1"});
  const auto t1 = Clock::now();
  if (r.exit_code != 0) {
    std::fprintf(stderr, "%s failed (%d):\n%s%s\n", argv[0].c_str(), r.exit_code, r.out.c_str(),
                 r.err.c_str());
    std::exit(1);
  }
  return {std::chrono::duration<double, std::milli>(t1 - t0).count(), cpu_ms_of_children() - cpu0};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int copies = 40, rounds = 5;
  bool showcase = false;
  std::vector<int> numbers;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--showcase") == 0)
      showcase = true;
    else
      numbers.push_back(std::atoi(argv[i]));
  }
  if (numbers.size() > 0) copies = std::max(1, numbers[0]);
  if (numbers.size() > 1) rounds = std::max(1, numbers[1]);

  faultline::TempDir folder("flbench-jobs");
  std::vector<std::string> base{faultline::test::faultline_exe().string(), "run"};
  if (showcase) {
    base.push_back((faultline::test::scenarios_dir() / "pipe" / "robust.yaml").string());
    base.push_back("--repeat");
    base.push_back(std::to_string(copies));
  } else {
    for (int i = 0; i < copies; ++i)
      std::ofstream(folder.path() / fmt::format("s{:03}.yaml", i)) << fmt::format(kPipeScenario, i);
    base.push_back(folder.path().string());
  }
  auto with_jobs = [&](int jobs) {
    auto argv = base;
    argv.push_back("-j");
    argv.push_back(std::to_string(jobs));
    return argv;
  };
  // Warm both (page cache, the dynamic loader) before measuring.
  (void)run_once(with_jobs(1));
  (void)run_once(with_jobs(2));
  std::vector<double> wall[2], cpu[2], ratio;
  for (int r = 0; r < rounds; ++r) {
    Sample s[2];
    for (int k = 0; k < 2; ++k) {
      const int j = (r + k) % 2;  // -j1 first in even rounds, -j2 first in odd ones
      s[j] = run_once(with_jobs(j + 1));
    }
    for (int j = 0; j < 2; ++j) {
      wall[j].push_back(s[j].wall_ms);
      cpu[j].push_back(s[j].cpu_ms / copies);
    }
    ratio.push_back(s[0].wall_ms / s[1].wall_ms);  // throughput of -j2 over -j1
  }
  std::printf("%d runs of %s per command, %d rounds, interleaved\n", copies,
              showcase ? "scenarios/pipe/robust.yaml (--repeat)" : "a two-process pipe (copies)",
              rounds);
  std::printf("%-6s %12s %10s %14s\n", "", "wall ms", "runs/s", "cpu ms/run");
  for (int j = 0; j < 2; ++j)
    std::printf("-j%-5d %12.1f %10.1f %14.2f\n", j + 1, median(wall[j]),
                copies / median(wall[j]) * 1e3, median(cpu[j]));
  std::string rounds_text;
  for (double x : ratio) rounds_text += fmt::format(" {:.2f}", x);
  std::printf("throughput -j2/-j1: median %.2fx (rounds:%s); goal >= 1.7x on 2 idle cores\n",
              median(ratio), rounds_text.c_str());
  // -j1 already keeps more than one core busy at times (the runner beside its processes, the
  // writer beside the reader): on 2 cores, -j2 can gain at most 2 / (cores busy at -j1), and
  // less when it costs more CPU per run than -j1.
  const double busy_j1 = median(cpu[0]) * copies / median(wall[0]);
  std::printf(
      "cores busy at -j1: %.2f (CPU/wall); ceiling of -j2/-j1 on 2 idle cores at this "
      "CPU per run: %.2fx\n",
      busy_j1, 2.0 / busy_j1 * median(cpu[0]) / median(cpu[1]));
  // Nor can it scale better than starting and ending processes does on this machine, which a
  // VM may serialise (docs/performance.md, "Figures: -j").
  std::printf("how process creation scales on this machine: bench_process_scaling\n");
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) == 3)
    std::printf("load average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  return 0;
}
