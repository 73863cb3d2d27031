// A scenario as loaded from its YAML file: channels, processes, faults, expectations.
// Plain data; load_scenario() (src/dsl) builds it and reports every problem at once.
#pragma once

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faultline/diagnostic.h"
#include "faultline/duration.h"
#include "faultline/fault_spec.h"
#include "model/channel_type.h"  // ChannelType, to_string, channel_type_from_string
#include "model/peer_contract.h"

namespace faultline {

struct ChannelSpec {
  std::string name;
  ChannelType type = ChannelType::pipe;
  std::uint64_t size = 0;   // shm/mmap bytes (default 4096 when 0); msgqueue/posix-mq: max msg size
  std::uint32_t count = 0;  // semaphore: number of semaphores (default 1); posix-mq: max messages
  std::string backing;      // mmap: "shm" (POSIX shm object, default) or "file"
  SourceLocation where;
};

struct Readiness {
  enum class Kind { none, listening, stdout_regex, stderr_regex, file, delay };
  Kind kind = Kind::none;
  std::string value;  // channel name (listening), regex (stdout/stderr_regex), path (file)
  Duration delay{0};
};

struct TextExpectation {
  enum class Op { contains, matches, equals };
  Op op = Op::contains;
  std::string value;
};

struct ExitExpectation {
  enum class Kind { codes, nonzero, any };
  Kind kind = Kind::codes;
  std::vector<int> codes;
};

struct ProcessExpect {
  std::optional<ExitExpectation> exit;
  std::optional<int> signal;  // signal number
  std::vector<TextExpectation> stdout_text;
  std::vector<TextExpectation> stderr_text;
  std::optional<Duration> within;
  bool declared = false;  // false: the defaults of DESIGN.md section 2 apply
};

struct FdWiring {
  int fd = -1;             // target fd number in the process
  std::string channel;     // pipe channel name
  bool write_end = false;  // "p.write" vs "p.read"
};

enum class Lifetime { task, service };

// How faults reach a process: the LD_PRELOAD interposer, a seccomp user-notification filter
// (static programs, raw syscall(2), calls inside libc), or both. docs/seccomp.md.
enum class Backend { preload, seccomp, both };

// `peer:`: the built-in peer (faultline-peer, docs/peer.md) instead of a program. The
// exchange settings (count, size, rate, timeout, allow_loss, ...) are the peer contract's
// (model/peer_contract.h), shared with the peer's command line.
struct PeerSpec : PeerExchange {
  std::string mode;     // send, recv, echo (server) or request (client)
  std::string channel;  // the channel it speaks
  std::string signal;   // shm/mmap: a semaphore channel instead of the futex
  // echo/request over a one-way type (pipe, fifo, posix-mq): a second channel of that type
  // carrying the server's answers; `channel` carries the client's frames.
  std::string reply;
};

struct ProcessSpec {
  std::string name;
  std::vector<std::string> argv;  // run: as a list; or {"/bin/sh", "-c", STRING} for a string
  bool shell = false;             // run: was a string
  std::optional<PeerSpec> peer;   // peer: instead of run: (argv is made at run time)
  std::vector<std::string> after;
  Readiness ready;
  Lifetime lifetime = Lifetime::task;
  int stop_signal = SIGTERM;
  Duration grace = std::chrono::seconds(2);   // stop_signal -> SIGKILL
  std::optional<std::string> stdin_channel;   // pipe read end on fd 0
  std::optional<std::string> stdout_channel;  // pipe write end on fd 1
  bool stdio_pty = false;  // stdio: pty: fd 1 and 2 (unless wired) a pseudo-terminal
  std::vector<FdWiring> fds;
  std::map<std::string, std::string> env;
  std::string cwd;                     // "" = the scenario file's folder
  Backend backend = Backend::preload;  // a static program gets seccomp whatever this says
  ProcessExpect expect;
  SourceLocation where;
};

struct Scenario {
  std::string name;
  std::string description;
  std::filesystem::path file;  // absolute path of the scenario file
  std::filesystem::path dir;   // its folder
  Duration timeout = std::chrono::seconds(30);
  std::optional<std::uint64_t> seed;
  std::vector<ChannelSpec> channels;
  std::vector<ProcessSpec> processes;  // in file order
  std::vector<FaultSpec> faults;
  enum class FaultsExpect { any, fired };
  // Default: every fault must fire unless it is optional; `faults: any` lets any never fire.
  FaultsExpect faults_expect = FaultsExpect::fired;
  enum class LeaksExpect { none, any };
  LeaksExpect leaks_expect = LeaksExpect::none;
  enum class PeersExpect { any, intact };
  PeersExpect peers_expect = PeersExpect::any;  // intact: no peer lost or saw a bad message

  [[nodiscard]] const ChannelSpec* channel(std::string_view n) const;
  [[nodiscard]] const ProcessSpec* process(std::string_view n) const;
};

struct LoadResult {
  std::optional<Scenario> scenario;  // set only when there are no diagnostics
  Diagnostics diagnostics;
};

// Reads and validates one scenario file. Never throws for bad input: every problem becomes
// a Diagnostic (all of them, not just the first).
[[nodiscard]] LoadResult load_scenario(const std::filesystem::path& file);

}  // namespace faultline
