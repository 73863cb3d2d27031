// The outcome of running one scenario: what each process did, which faults fired, what
// expectation failed and why. Reports (console, JSON) are rendered from it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "faultline/duration.h"

namespace faultline {

// What /proc says about a process that was still alive at the timeout.
struct ProcessSnapshot {
  pid_t pid = 0;
  std::string command;    // /proc/PID/comm
  std::string state;      // "S (sleeping)"
  std::string syscall;    // "read(3, 0x7ffd..., 4096)" or "running"
  std::string wchan;      // "pipe_read"
  std::string backtrace;  // gdb's, when gdb is installed; else empty
};

// Something the run could not see in a process (docs/limits.md, "What a run could not
// see"): a process of it that ran without the interposer, a ring of io_uring, what the
// seccomp backend cannot inject.
struct BlindSpot {
  // not-attached, not-loaded, exec-without-preload, exec-without-control, setuid, static,
  // foreign-abi, io_uring, seccomp
  std::string kind;
  pid_t pid = 0;         // the process it concerns (one of the scenario process's tree)
  std::string message;   // one line, without the scenario process's name
  bool escaped = false;  // that process ran without fault injection
};

struct ProcessResult {
  std::string name;
  pid_t pid = 0;
  bool started = false;
  std::string not_started_reason;
  std::optional<int> exit_code;  // set when it exited
  int term_signal = 0;           // killed by this signal, 0 when it exited
  bool stopped_by_runner = false;
  bool killed_after_grace = false;
  bool killed_at_timeout = false;
  bool service = false;
  Duration duration{0};
  // Milliseconds since the scenario started: when the process was started, became ready
  // (its `ready:` condition held) and ended; nullopt when it never did.
  std::optional<double> start_ms;
  std::optional<double> ready_ms;
  std::optional<double> end_ms;
  std::string stdout_text;
  std::string stderr_text;
  std::vector<ProcessSnapshot> at_timeout;
  // peer: processes: what their summary line said; nullopt when they printed none.
  std::optional<bool> peer_intact;
  std::string peer_report;  // "100 sent, 98 received, 2 lost"
  std::vector<BlindSpot> blind_spots;
};

struct FaultResult {
  std::string spec;         // canonical text
  std::uint64_t hits = 0;   // calls that matched the rule
  std::uint64_t fired = 0;  // faults injected
  bool optional = false;    // it may never fire (`optional: true`, `:optional`)
  // Why it never matched, from the interposer's counts ("12 calls of read were made by
  // server, none on an ipc fd (12 on a file); calls made by server: recv x120"); "" when it
  // fired or nothing was counted.
  std::string missed{};
  // Calls the rule matched but did not fault because its kind is impossible there (a short
  // read of an eventfd record, drop on a stream): not hits. The reason is the first one's.
  std::uint64_t refused = 0;
  std::string refused_why{};  // reason name (realism.c), "" when none
  // Fires that are possible on the object but not in its state (EINTR with no handler).
  std::uint64_t unrealistic = 0;
  std::string unrealistic_why{};  // reason name of the first, "" when none
};

struct FaultEvent {
  double time_ms = 0;  // since the scenario started
  pid_t pid = 0;
  pid_t tid = 0;
  std::string process;
  std::string call;  // symbol, e.g. "accept4"
  int rule = -1;
  std::string error;  // errno name injected, "" when none
  std::int64_t result = 0;
  std::int64_t bytes = 0;
  std::uint64_t seq = 0;     // 1-based, in injection order over the whole run
  int fd = -1;               // fd or SysV id the call was on, -1 when none
  std::uint64_t caller = 0;  // return address of the call in the process
  std::string channel;       // channel the fd belongs to, "" when none or unknown
  std::string fault;         // canonical text of the fault (rule) that fired
  std::string unrealistic;   // reason name when the kernel would not do this here, else ""
};

// An IPC object a process created and left behind (the leak check).
struct Leak {
  std::string process;  // who created it
  int pid = 0;
  std::string call;      // how: msgget, shmget, semget, mkfifo, bind, shm_open, mq_open
  std::string object;    // "System V message queue id 5 (key 0x1234)", "FIFO /tmp/x"
  bool removed = false;  // the runner removed it
};

struct Violation {
  std::string kind;     // exit, signal, stdout, stderr, within, timeout, not-started, faults,
                        // leaks, service, interrupted, uninjected
  std::string process;  // "" for scenario-wide
  std::string message;  // one line, e.g. "server: exited with status 1, expected 0"
  // When it happened (the process ended, the timeout struck), ms since the scenario started;
  // negative: at the end of the run (faults that never fired, leaks) or not known.
  double time_ms = -1;
};

// One site where the processes made an interposed call during a recording run
// (RunOptions::record): a distinct (process, call, caller). `faultline explore` plans its
// fault points from these.
struct RecordedCall {
  std::string process;       // scenario process name; its descendants count under it
  std::string call;          // symbol as in calls.def ("accept4", "__read_chk")
  std::string module;        // absolute path of the ELF file holding the caller, "" unknown
  std::uint64_t offset = 0;  // the return address, as a link-time address in `module`
  std::string function;      // the function holding it, "" when no symbol says
  std::string location;      // "server.c:42" from debug info, "" when none
  // What `site=` targets exactly this caller ("server+0x1a2f", "/usr/lib/.../libevent.so+0x..."),
  // "" when the call cannot be told apart by site (seccomp backend, unknown module).
  std::string site;
  std::uint64_t count = 0;        // calls made there, all processes of that name together
  std::string shape;              // the object of the first call: pipe, stream, message, ...
  bool eintr_realistic = false;   // EINTR was what the kernel could do at one of these calls
  bool eagain_realistic = false;  // EAGAIN/EWOULDBLOCK was
  // ... on a non-blocking fd or call; false when only a socket timeout (SO_RCVTIMEO,
  // SO_SNDTIMEO) made it realistic: the program's own deadline, which it may give up on.
  bool eagain_nonblocking = false;
  bool short_realistic = false;   // a short transfer was
  bool seccomp = false;           // seen by the seccomp backend (no site, error/delay/signal)
  // A recording of K > 1 frames (`faultline explore --context K`): the frames outside the
  // caller, its caller's first (fewer than K-1 where the stack ends), each named like the
  // caller. `site` is then the whole calling context, INNER<CALLER<...
  struct Frame {
    std::string module;
    std::uint64_t offset = 0;
    std::string function;
    std::string location;
    std::string site;  // this frame alone, as site= names it
  };
  std::vector<Frame> context;
};

// A channel of the scenario as the runner provisioned it, before any process started: the
// provisioning slices of the timeline (`--trace`).
struct ChannelProvisioning {
  std::string name;
  std::string type;     // as the scenario writes it: "pipe", "unix-stream", "posix-mq"
  double start_ms = 0;  // since the scenario started
  double end_ms = 0;
};

// Where the wall time of one run went (steady clock), phase by phase: `faultline run
// --timings`, the JSON's `timings_ms`, and the benchmarks of the runner's fixed cost.
struct RunTimings {
  Duration provision{0};  // run directory, cgroup, channels, capture pipes
  Duration control{0};    // the control block and the launch plans
  Duration spawn{0};      // starting the processes (fork, child setup, exec)
  Duration readiness{0};  // waiting for processes to be ready before starting those after them
  Duration supervise{0};  // the programs running: their output, their end (the rest excluded)
  Duration reap{0};       // ending and reaping what is left once they have ended
  Duration verdict{0};    // counters, events, blind spots, leak check, expectations
  Duration cleanup{0};    // control file, channels, cgroup and run directory removed
};

struct ScenarioResult {
  std::string scenario;
  std::filesystem::path file;
  bool passed = false;
  std::uint64_t seed = 0;
  Duration duration{0};
  Duration timeout{0};
  bool timed_out = false;
  int interrupted_by = 0;  // SIGINT/SIGTERM that stopped the run
  // When the scenario started (the origin of every *_ms), ms since the Unix epoch by the wall
  // clock; 0 when not known (a result of an older faultline). Places the scenarios of one run
  // (those of `run -j` side by side) on one timeline.
  double started_unix_ms = 0;
  std::vector<ChannelProvisioning> channels;  // in provisioning order
  std::vector<ProcessResult> processes;
  std::vector<FaultResult> faults;
  std::vector<FaultEvent> events;
  std::uint64_t events_lost = 0;
  std::vector<Violation> violations;
  std::vector<std::string> notes;  // things worth knowing that are not failures
  std::vector<Leak> leaks;         // objects the processes left behind (removed since)
  // The run could not be set up (a `setup` violation: a limit, a permission, a missing
  // program): no verdict on the program, whatever the other fields say.
  [[nodiscard]] bool setup_failed() const {
    for (const auto& v : violations)
      if (v.kind == "setup") return true;
    return false;
  }
  // ... because of a per-user or system-wide limit that other runs share (RLIMIT_MSGQUEUE,
  // System V msgmni, ...): waiting for those runs to end may let it through (`run -j`).
  bool setup_limit = false;
  // What `faultline run` needs besides the file and the seed to run it again: the --fault
  // rules as given, and whether the scenario's own faults were left out.
  std::vector<std::string> command_faults;
  bool without_faults = false;
  // `faultline run --repeat N`: this is run `repetition` (1-based) of at most `repetitions`
  // of the same scenario; both 0 when it was not repeated.
  unsigned repetition = 0;
  unsigned repetitions = 0;
  // Calls the processes made, per site (RunOptions::record); empty otherwise.
  std::vector<RecordedCall> recorded;
  RunTimings timings;
};

}  // namespace faultline
