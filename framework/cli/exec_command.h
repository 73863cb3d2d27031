// `faultline exec [--fault SPEC]... -- PROGRAM ARGS`: one program under injection without a
// scenario file, run through the normal Runner with the terminal's stdio.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faultline::cli {

struct ExecArgs {
  std::vector<std::string> faults;
  std::optional<std::uint64_t> seed;
  std::string timeout;  // "" = none
  std::string json;
  std::string trace;
  std::string html;
  std::string name;                 // "" = the program's basename
  std::string backend = "preload";  // preload, seccomp or both (docs/seccomp.md)
  bool quiet = false;
  bool no_backtrace = false;
  std::string pause_on_fault;  // --pause-on-fault[=RULE]; "*" bare, "" not given
  bool keep = false;
  std::vector<std::string> command;  // PROGRAM ARGS...
};

// Where the program's command starts in argv when argv[1..] name the exec subcommand:
// after a `--`, else at the first argument that is neither an option of exec nor the value
// of one (so `faultline exec --fault F cat -n` leaves `-n` to cat, as strace does).
// Returns argc when there is no command. `*separator` tells whether a `--` precedes it.
[[nodiscard]] int exec_command_start(int argc, char** argv, bool* separator);

// Runs it: the program's exit status, 128+N when it died of signal N (as a shell reports
// it), 124 when it timed out, 2 for wrong input, 3 for an internal error.
[[nodiscard]] int run_exec(const ExecArgs& args);

}  // namespace faultline::cli
