// run_in_parallel(); see parallel_run.h. The workers come from run_in_workers()
// (util/worker_pool.h), which explore shares: forked from this process, not exec'd, they hold
// the scenarios and options already, and from one run to the next they keep a warm heap and
// no program to load (a fresh `faultline run` per scenario cost more CPU than the run itself:
// docs/performance.md). Each result comes back as the JSON of `--json` in a file of the
// scratch folder, read back whole, so reports do not depend on -j.
#include "parallel_run.h"

#include <sys/wait.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json.h"
#include "runner/run_directory.h"
#include "util/worker_pool.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;

fs::path result_file(const fs::path& scratch, std::uint32_t index) {
  return scratch / fmt::format("{}.json", index);
}

// The JSON of `--json`, without its indentation: only the parent reads it.
void write_result(const fs::path& file, const std::vector<ScenarioResult>& result) {
  std::ofstream out(file);
  out << to_json(result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// The worker's result, read and removed (a later attempt of the same scenario writes it
// anew); a failed one naming the worker's own trouble when it left none.
ScenarioResult collect(const Scenario& scenario, const fs::path& file,
                       std::optional<int> wait_status) {
  std::ifstream in(file);
  if (in) {
    // Parsed from memory: from the stream itself, nlohmann reads one character at a time.
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    in.close();
    std::error_code ec;
    fs::remove(file, ec);
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_discarded() && j.contains("scenarios") && j["scenarios"].size() == 1) {
      return scenario_from_json(j["scenarios"][0]);
    }
  }
  ScenarioResult r;
  r.scenario = scenario.name;
  r.file = scenario.file;
  std::string how = !wait_status ? "stopped"
                    : WIFEXITED(*wait_status)
                        ? fmt::format("exited with status {}", WEXITSTATUS(*wait_status))
                        : fmt::format("was killed by signal {}", WTERMSIG(*wait_status));
  r.violations.push_back(
      {"setup", "",
       fmt::format("the runner of {} {} and left no result", scenario.file.string(), how)});
  return r;
}

}  // namespace

std::vector<ScenarioResult> run_in_parallel(
    const std::vector<Scenario>& scenarios, const RunOptions& options, int jobs,
    const std::function<void(std::size_t, ScenarioResult&)>& done, int* interrupted,
    const std::function<bool(std::size_t)>& wanted) {
  RunDirectory scratch("jobs");  // owned like a run's folder, so gc leaves it alone
  std::vector<std::optional<ScenarioResult>> results(scenarios.size());
  // Scenarios still to start, in order; one that met a shared limit goes back to the front.
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < scenarios.size(); ++i) queue.push_back(i);
  std::vector<unsigned> attempts(scenarios.size(), 0);
  // Lowered when a scenario could not be provisioned within a per-user or system limit
  // (RLIMIT_MSGQUEUE, msgmni ...) while others ran: as many run at once as fitted.
  std::size_t width = static_cast<std::size_t>(std::max(1, jobs));
  std::size_t running = 0;
  std::optional<Runner> runner;  // the worker's, made once it is forked

  // A finished job: its result, or back to the queue when a shared limit stopped it.
  auto finish = [&](std::size_t index, bool alone, std::optional<int> wait_status) {
    --running;
    ScenarioResult r = collect(scenarios[index], result_file(scratch.path(), index), wait_status);
    if (r.setup_limit && !alone && !*interrupted) {
      // The limit is shared with the runs beside them: wait for them rather than fail at
      // random. Started alone, it would have failed for good.
      width = std::max<std::size_t>(1, running);
      queue.push_front(index);
      return;
    }
    if (attempts[index] > 1)
      r.notes.push_back(
          fmt::format("set up at attempt {}: a per-user or system limit was reached while other "
                      "scenarios ran, so it waited for them (-j ran {} at once from then on)",
                      attempts[index], width));
    done(index, r);
    results[index] = std::move(r);
  };

  WorkerPoolJobs pool;
  pool.pass_every_signal = true;  // a second Ctrl-C: the runners kill without the grace
  pool.on_fork = [&] { runner.emplace(options); };
  // Each worker's process group in the scratch folder's manifest: when this process is
  // SIGKILLed, `faultline gc` (or the next run) collecting the folder kills what is left of
  // them and waits until they are gone. Their death signal kills them already, but one that
  // had no run folder of its own (just forked, or between two scenarios) was not waited for.
  pool.started = [&](pid_t worker) { scratch.record_process_group(worker); };
  pool.work = [&](std::uint32_t index, std::string&) {
    std::vector<ScenarioResult> result{runner->run(scenarios[index])};
    const bool interrupted_run = result[0].interrupted_by != 0;
    write_result(result_file(scratch.path(), index), result);
    return !interrupted_run;
  };
  pool.next = [&]() -> std::optional<std::uint32_t> {
    while (!queue.empty() && wanted && !wanted(queue.front())) queue.pop_front();
    if (queue.empty()) return std::nullopt;
    const std::size_t index = queue.front();
    queue.pop_front();
    ++attempts[index];
    ++running;
    return static_cast<std::uint32_t>(index);
  };
  pool.width = [&] { return width; };
  pool.done = [&](std::uint32_t index, std::string_view, bool alone) {
    finish(index, alone, std::nullopt);
  };
  pool.lost = [&](std::uint32_t index, int wait_status, bool alone) {
    finish(index, alone, wait_status);
  };
  run_in_workers(pool, interrupted);
  std::vector<ScenarioResult> out;
  for (auto& r : results) {
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace faultline::cli
