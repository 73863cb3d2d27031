// `faultline exec`; see exec_command.h and docs/cli.md.
#include "exec_command.h"

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string_view>

#include <fmt/format.h>

#include "exit_status.h"
#include "faultline/runner.h"
#include "faultline/scenario.h"
#include "pause_signals.h"
#include "report/exec_summary.h"
#include "report/html.h"
#include "report/json.h"
#include "report/trace.h"
#include "runner/program_path.h"
#include "runner/run_directory.h"
#include "seccomp/backend.h"
#include "util/unique_fd.h"

namespace faultline::cli {
namespace fs = std::filesystem;

namespace {

// "No timeout": long enough never to matter, short enough that now + it cannot overflow.
constexpr Duration kNoTimeout = std::chrono::hours(24 * 365 * 100);

bool takes_value(std::string_view option) {
  for (std::string_view o :
       {"--fault", "--seed", "--timeout", "--json", "--html", "--name", "--backend"})
    if (option == o) return true;
  if (option == "--trace") return true;
  return false;
}

// The runner expands ${...} in a scenario's commands; a command line is taken literally.
std::string literal(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '$' ? std::string("$$") : std::string(1, c);
  return out;
}

// `faultline exec` with the same faults and the seed this run used, for the HTML report.
std::string exec_rerun(const ExecArgs& args, std::uint64_t seed) {
  std::string command = "faultline exec";
  for (const auto& f : args.faults) command += " --fault " + shell_word(f);
  command += fmt::format(" --seed {}", seed);
  if (!args.timeout.empty()) command += " --timeout " + shell_word(args.timeout);
  if (!args.name.empty()) command += " --name " + shell_word(args.name);
  if (args.backend != "preload") command += " --backend " + shell_word(args.backend);
  command += " --";
  for (const auto& word : args.command) command += " " + shell_word(word);
  return command;
}

// 128+N for a signal, as a shell reports it; 124 for a timeout, as timeout(1) does.
int exit_status_of(const ScenarioResult& r) {
  if (r.interrupted_by != 0) return 128 + r.interrupted_by;
  const ProcessResult& p = r.processes.front();
  if (p.killed_at_timeout) return 124;
  if (p.term_signal != 0) return 128 + p.term_signal;
  if (p.exit_code) return *p.exit_code;
  return kExitInternal;
}

}  // namespace

int exec_command_start(int argc, char** argv, bool* separator) {
  *separator = false;
  int i = 1;
  while (i < argc && argv[i][0] == '-') ++i;  // options of faultline itself take no values
  if (i >= argc || std::string_view(argv[i]) != "exec") return argc;
  for (++i; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      *separator = true;
      return i + 1;
    }
    if (arg.empty() || arg[0] != '-') return i;
    if (takes_value(arg)) ++i;
  }
  return argc;
}

int run_exec(const ExecArgs& args) {
  Diagnostics diags;
  if (args.command.empty()) {
    diags.push_back(
        {{}, "no program to run", "usage: faultline exec [--fault SPEC]... -- PROGRAM [ARGS...]"});
    std::cerr << diags.front().format() << '\n';
    return kExitInput;
  }
  const std::string& program = args.command.front();
  const std::string name = args.name.empty() ? fs::path(program).filename().string() : args.name;

  Scenario scenario;
  scenario.name = name.empty() ? "exec" : name;
  scenario.dir = fs::current_path();
  scenario.timeout = kNoTimeout;
  if (!args.timeout.empty()) {
    auto t = parse_duration(args.timeout);
    if (!t || *t <= Duration::zero()) {
      diags.push_back({{},
                       fmt::format("--timeout {}: not a duration", args.timeout),
                       "write it with a unit: 500ms, 10s, 2m"});
    } else {
      scenario.timeout = *t;
    }
  }
  for (const auto& text : args.faults) {
    auto spec = parse_fault_spec(text, diags);
    if (!spec) continue;
    // The interposer matches FAULTLINE_PROCESS, which is this one name for the program and
    // everything it starts: any other name would never match.
    if (!spec->process.empty() && spec->process != scenario.name) {
      diags.push_back(
          {{},
           fmt::format("--fault {}: names process '{}', but the program runs as '{}'", text,
                       spec->process, scenario.name),
           fmt::format("drop the '{}/' prefix, or name the program with --name {} (its children "
                       "share its name)",
                       spec->process, spec->process)});
      continue;
    }
    scenario.faults.push_back(std::move(*spec));
  }
  const bool found = resolve_program(program, scenario.dir).has_value();
  if (!found) {
    diags.push_back(
        {{},
         fmt::format("program '{}' not found", program),
         program.find('/') != std::string::npos
             ? "check the path (relative paths are taken from the current folder) and that it "
               "is executable"
             : "it is not an executable on PATH; give its path"});
  }

  ProcessSpec process;
  process.name = scenario.name;
  for (const auto& arg : args.command) process.argv.push_back(literal(arg));
  process.cwd = literal(scenario.dir.string());
  if (auto b = seccomp::backend_from_name(args.backend)) {
    process.backend = *b;
  } else {
    diags.push_back({{},
                     fmt::format("unknown backend '{}'", args.backend),
                     "--backend takes preload, seccomp or both"});
  }
  // exec reports the faults that never fired (with why) but passes the program's status
  // through: no verdict of its own.
  scenario.faults_expect = Scenario::FaultsExpect::any;
  // Whatever the program does is its own business: exec passes its status through.
  process.expect.declared = true;
  process.expect.exit = ExitExpectation{ExitExpectation::Kind::any, {}};
  scenario.processes.push_back(std::move(process));

  RunOptions options;
  options.seed = args.seed;
  options.backtraces = !args.no_backtrace;
  options.inherit_stdio = true;
  options.keep = args.keep;
  if (!args.pause_on_fault.empty()) options.pause_on_fault = args.pause_on_fault;
  // preflight() also finds a missing program, but speaks of scenario files.
  PreflightResult checked;
  if (found) {
    checked = check_before_run(scenario, options);
    diags.insert(diags.end(), checked.problems.begin(), checked.problems.end());
  }
  if (!diags.empty()) {
    for (const auto& d : diags) std::cerr << d.format() << '\n';
    return kExitInput;
  }

  for (const auto& line : collect_garbage())
    std::cerr << "faultline: cleaning up after a dead run: " << line << '\n';

  // The program has our stdin: a pause is resumed from the terminal, or with SIGUSR1.
  UniqueFd terminal;
  if (options.pause_on_fault) {
    terminal = UniqueFd(::open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC));
    options.resume_input = terminal.get();
    block_resume_signal();
  }
  Runner runner(options);
  ScenarioResult result = runner.run(scenario, &checked);
  if (args.timeout.empty()) result.timeout = Duration::zero();
  if (!args.json.empty()) write_json(args.json, {result});
  if (!args.trace.empty()) write_trace(args.trace, {result});
  if (!args.html.empty())
    write_html(args.html, {result},
               {"faultline exec " + result.scenario, exec_rerun(args, result.seed), true});
  print_exec_summary(std::cerr, result, args.quiet);
  if (result.processes.empty()) return kExitInternal;  // the run could not be set up
  if (!result.processes.front().started) return kExitInput;
  return exit_status_of(result);
}

}  // namespace faultline::cli
