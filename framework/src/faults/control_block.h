// ControlBlock: the runner's side of interpose/faultline_control.h. Creates the control file
// of one run, compiles the faults into its rules, and reads back counters and fault events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faultline/fault_spec.h"
#include "faults/site_resolver.h"

struct fl_control;

namespace faultline {

// What the rules are matched against besides calls: the run's channels (channel=) and the
// programs whose code site= names.
struct ControlContext {
  struct Channel {
    std::string name;
    int sysv_id = -1;       // msgqueue/shm/semaphore
    int key = 0;            // their key
    int port = 0;           // tcp/udp
    std::uint64_t dev = 0;  // the file an fd on the channel refers to (pipe, FIFO, mapped
    std::uint64_t ino = 0;  // file, POSIX shm or mq object)
    std::string path;       // Unix socket path, FIFO path or POSIX name
  };
  std::vector<Channel> channels;
  // The files the processes' stdout and stderr are captured through: class `file`, so that
  // no `ipc` rule fires on a program's own logging.
  struct Capture {
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
  };
  std::vector<Capture> captures;
  std::vector<std::filesystem::path> programs;  // ELF files site= is resolved in
};

// The faults of a run with what they name looked up once: each channel= as an index into
// the run's channels, each site= as address ranges in its programs. Only check_faults()
// builds one; ControlBlock::compile compiles from it without looking anything up again, and
// `preflight`'s is handed to Runner::run, which reuses it (docs/how-it-works.md, "The runner").
class CheckedFaults final {
 public:
  struct Target {
    int channel = -1;  // index into channels(); -1: none named, or unknown_channel
    bool unknown_channel = false;
    // No site=: no ranges and no error. A calling context (site=INNER<CALLER<...): the
    // innermost frame's ranges, or the first frame's error; `outer` the frames 2..K.
    SiteResolution site;
    std::vector<SiteResolution> outer;
  };
  [[nodiscard]] const std::vector<FaultSpec>& faults() const { return faults_; }
  [[nodiscard]] const std::vector<Target>& targets() const { return targets_; }
  // What channel= and site= were looked up in.
  [[nodiscard]] const std::vector<std::string>& channels() const { return channels_; }
  [[nodiscard]] const std::vector<std::filesystem::path>& programs() const { return programs_; }
  // Checked for these very faults and the channels and programs of `context` (the programs
  // only matter when a fault names a site): then it can stand for checking them again.
  [[nodiscard]] bool checked_for(const std::vector<FaultSpec>& faults,
                                 const ControlContext& context) const;

 private:
  friend CheckedFaults check_faults(std::vector<FaultSpec> faults,
                                    std::vector<std::string> channels,
                                    std::vector<std::filesystem::path> programs);
  CheckedFaults() = default;
  std::vector<FaultSpec> faults_;
  std::vector<Target> targets_;
  std::vector<std::string> channels_;
  std::vector<std::filesystem::path> programs_;
};

// Looks up each fault's channel= among `channels` and its site= in `programs`; what is not
// found is recorded in its Target (the caller says it in its own words), not thrown.
[[nodiscard]] CheckedFaults check_faults(std::vector<FaultSpec> faults,
                                         std::vector<std::string> channels,
                                         std::vector<std::filesystem::path> programs);
// The same against a run's channels and programs.
[[nodiscard]] CheckedFaults check_faults(const std::vector<FaultSpec>& faults,
                                         const ControlContext& context);

class ControlBlock final {
 public:
  // Creates `path` (0600, must not exist), writes the header, the channel table and one rule
  // per fault (in order: the first rule that fires wins) and arms their calls. Throws
  // std::runtime_error when a fault cannot be compiled (unknown call or channel, too many
  // faults, name too long, a site found in no program) and std::system_error when the file
  // cannot be created or mapped.
  [[nodiscard]] static ControlBlock create(const std::filesystem::path& path,
                                           const std::vector<FaultSpec>& faults, std::uint64_t seed,
                                           const ControlContext& context = {});
  // create() from faults already checked against `context` (check_faults): what they name
  // is not looked up again. Throws std::invalid_argument when they were checked against
  // other channels.
  [[nodiscard]] static ControlBlock compile(const std::filesystem::path& path,
                                            const CheckedFaults& faults, std::uint64_t seed,
                                            const ControlContext& context = {});
  // The control file a run left behind (a runner killed by SIGKILL), mapped read-only for
  // `faultline gc` to read what its processes created: nullopt when `path` is not a regular
  // file of this user's with this version's header. Only the readers (created(), facts(),
  // events() ...) may be used on it; start_recording() and the like would fault.
  [[nodiscard]] static std::optional<ControlBlock> open_left_behind(
      const std::filesystem::path& path);
  ControlBlock(ControlBlock&& other) noexcept;
  ControlBlock& operator=(ControlBlock&& other) noexcept;
  ControlBlock(const ControlBlock&) = delete;
  ControlBlock& operator=(const ControlBlock&) = delete;
  // Unmaps; the file itself belongs to the run directory.
  ~ControlBlock();

  struct RuleStats {
    std::uint64_t hits = 0;   // calls that matched the rule, all processes together
    std::uint64_t fires = 0;  // faults it injected
    std::uint64_t refused = 0;      // calls it matched where its kind is impossible (no hit)
    unsigned refused_why = 0;       // enum fl_why of the first refusal
    std::uint64_t unrealistic = 0;  // fires possible on the object but not in its state
    unsigned unrealistic_why = 0;   // enum fl_why of the first
  };
  // Throws std::out_of_range for an index >= rule_count().
  [[nodiscard]] RuleStats stats(std::size_t rule) const;
  [[nodiscard]] std::size_t rule_count() const;

  struct Event {
    std::uint64_t seq = 0;      // 1-based, in injection order over the whole run
    std::uint64_t time_ns = 0;  // CLOCK_MONOTONIC (std::chrono::steady_clock)
    std::uint64_t caller = 0;   // return address of the wrapped call in the process
    std::int64_t result = 0;    // what the call returned (-1 for an injected error)
    std::int64_t bytes = 0;     // bytes transferred
    int pid = 0;
    int tid = 0;
    int call_id = -1;       // enum fl_call_id
    std::string call;       // its symbol, e.g. "accept4"
    int rule = -1;          // index of the fault that fired
    int err = 0;            // errno injected or observed, 0 when none
    std::string err_name;   // "ECONNABORTED", "" when none
    int fd = -1;            // fd or SysV id the call was on, -1 when none
    std::string channel;    // the channel the fd or id belongs to, "" when none
    std::uint64_t hit = 0;  // the rule's hit number for this call (1-based)
    std::string process;    // FAULTLINE_PROCESS of the process
    unsigned unrealistic = 0;  // enum fl_why: not what the kernel does here; 0 = it is
  };
  // The complete records still in the ring, in sequence order.
  [[nodiscard]] std::vector<Event> events() const;
  // The same records, each handed to `sink` as it is read, for the caller to move from: the
  // runner's results take them without a second copy.
  void read_events(const std::function<void(Event&&)>& sink) const;
  // Events overwritten because more than FL_EVENT_RING faults fired. Once the ring wraps, a
  // slot two threads write at once is skipped by events() rather than returned torn.
  // How many events the ring holds now (read_events hands over at most that many).
  [[nodiscard]] std::size_t events_held() const;
  [[nodiscard]] std::uint64_t events_lost() const;

  // An IPC object a process of the run created (msgget/shmget/semget with IPC_CREAT, mkfifo,
  // bind of a Unix socket path, shm_open/mq_open with O_CREAT), recorded by the interposer.
  struct Created {
    unsigned kind = 0;  // enum fl_object_kind
    int id = -1;        // System V id
    int key = 0;        // System V key
    int pid = 0;
    std::string call;     // the call that created it
    std::string path;     // FIFO or socket path, POSIX name
    std::string process;  // FAULTLINE_PROCESS of the creator
  };
  [[nodiscard]] std::vector<Created> created() const;
  // Records that did not fit (more than FL_MAX_CREATED objects created).
  [[nodiscard]] std::uint64_t created_lost() const;

  // A fact about a process that decides what the run could see (struct fl_fact): which
  // processes the runner started attached, which were exec'd without the interposer, which
  // set up an io_uring. Recorded by the interposers and the seccomp supervisor.
  struct Fact {
    unsigned kind = 0;  // enum fl_fact_kind
    int pid = 0;
    int ppid = 0;
    unsigned uid = 0;
    std::string process;  // FAULTLINE_PROCESS of the process
    std::string detail;   // the program exec'd, how io_uring was set up, "fd" or "path"
  };
  [[nodiscard]] std::vector<Fact> facts() const;
  // Facts that did not fit (more than FL_MAX_FACTS).
  [[nodiscard]] std::uint64_t facts_lost() const;

  // Calls the processes made among the counted ones (each rule's calls and their family:
  // read with recv, readv ...; write with send ...), per process name.
  struct CallCount {
    std::string call;  // symbol, e.g. "recv"
    int call_id = -1;
    std::uint64_t count = 0;
  };
  [[nodiscard]] std::vector<std::pair<std::string, std::vector<CallCount>>> call_counts() const;
  // Why the rule's own calls did not match it, indexed by enum fl_miss.
  [[nodiscard]] std::vector<std::uint64_t> misses(std::size_t rule) const;

  // Recording (RunOptions::record): arms every call and has the interposers and the seccomp
  // supervisor count each call on an IPC object per (process, call, caller). Before any
  // process starts (the seccomp filter is built from the armed calls).
  // `context` frames per site (K of `explore --context K`, at most FL_CONTEXT_MAX).
  void start_recording(unsigned context = 1);
  struct Recorded {
    std::string process;  // FAULTLINE_PROCESS
    int call_id = -1;
    std::string call;       // symbol
    std::uint64_t dev = 0;  // the ELF file of the caller; 0/0: none known
    std::uint64_t ino = 0;
    std::string module;        // its path as a process saw it, "" when unknown
    std::uint64_t offset = 0;  // link-time return address (absolute when no module)
    // With a context (start_recording(K > 1)): the frames outside the caller, placed alike.
    struct Frame {
      std::uint64_t dev = 0;
      std::uint64_t ino = 0;
      std::string module;
      std::uint64_t offset = 0;
    };
    std::vector<Frame> outer;
    std::uint64_t count = 0;
    unsigned shape = 0;  // enum fl_shape of the first call
    unsigned flags = 0;  // FL_REC_*
  };
  // The slots of the recording as they are (a key may appear twice: merge by key).
  [[nodiscard]] std::vector<Recorded> recorded() const;
  // Calls that could not be recorded (table full, too many process names).
  [[nodiscard]] std::uint64_t recorded_lost() const;

  // --pause-on-fault: the processes stop themselves at each fault `rule` injects (struct
  // fl_pause). Before any process starts.
  void pause_at(std::size_t rule);
  // A process stopped (or stopping) at a fault of a pausing rule: its slot in fl_control's
  // pauses[] and the fault's event sequence number.
  struct Pause {
    std::size_t slot = 0;
    int pid = 0;
    int tid = 0;
    std::uint64_t event_seq = 0;
  };
  [[nodiscard]] std::vector<Pause> pauses() const;
  // Frees a slot pauses() returned, before its process is continued.
  void release_pause(std::size_t slot);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // The mapped block, for the code that decides in the runner (seccomp supervisor).
  [[nodiscard]] fl_control* raw() const { return control_; }

 private:
  ControlBlock(std::filesystem::path path, fl_control* control);
  std::filesystem::path path_;
  fl_control* control_ = nullptr;
};

}  // namespace faultline
