// The keys and fixed choices of the scenario format, one list each: the loader checks files
// against them and `faultline schema` (dsl/scenario_schema.h) describes them, so a key the
// loader accepts is a key the schema knows.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "model/channel_type.h"

namespace faultline {

using Words = std::vector<std::string_view>;

inline const Words kTopKeys{"scenario", "description", "timeout", "seed",
                            "channels", "processes",   "faults",  "expect"};
// The scenario's `expect:` and the choices of each of its keys.
inline const Words kScenarioExpectKeys{"faults", "leaks", "peers"};
inline const Words kExpectFaultsChoices{"fired", "any"};
inline const Words kExpectLeaksChoices{"none", "any"};
inline const Words kExpectPeersChoices{"intact", "any"};

// A channel option and the types it applies to; `use` says what it means there.
struct ChannelOption {
  std::string_view key;
  std::vector<ChannelType> types;
  std::string_view use;

  [[nodiscard]] bool applies_to(ChannelType t) const {
    return std::find(types.begin(), types.end(), t) != types.end();
  }
};
inline const std::vector<ChannelOption> kChannelOptions{
    {"size",
     {ChannelType::shm, ChannelType::mmap, ChannelType::msgqueue, ChannelType::posix_mq},
     "shm and mmap (bytes) and msgqueue and posix-mq (largest message)"},
    {"count",
     {ChannelType::semaphore, ChannelType::posix_mq},
     "semaphore (semaphores in the set) and posix-mq (messages in the queue)"},
    {"backing", {ChannelType::mmap}, "mmap channels (shm or file)"},
};
// `type` and the options (defined after kChannelOptions, so initialized after it).
inline const Words kChannelKeys = [] {
  Words keys{"type"};
  for (const ChannelOption& o : kChannelOptions) keys.push_back(o.key);
  return keys;
}();
// A semaphore set's count (SEMMSL), and a posix-mq's, is at most this.
inline constexpr std::uint64_t kMaxChannelCount = 65535;
inline const Words kMmapBackingChoices{"shm", "file"};

inline const Words kProcessKeys{"run",         "peer",  "after",  "ready",   "lifetime",
                                "stop_signal", "grace", "stdin",  "stdout",  "fds",
                                "env",         "cwd",   "expect", "backend", "stdio"};
inline const Words kLifetimeChoices{"task", "service"};
inline const Words kBackendChoices{"preload", "seccomp", "both"};
inline const Words kStdioChoices{"capture", "pty"};
// `stdin:` and `stdout:` of a process.
inline const Words kStdStreamKeys{"channel"};
// `ready:` takes exactly one of these.
inline const Words kReadyKeys{"listening", "stdout", "stderr", "file", "delay"};
inline const Words kExpectKeys{"exit", "signal", "stdout", "stderr", "within"};
// `expect: { exit: ... }` as a word instead of a status.
inline const Words kExitWords{"nonzero", "any"};
// `expect: { stdout: ... }` and stderr.
inline const Words kTextKeys{"contains", "matches", "equals"};

// The keys of `peer:`: what it speaks over, then the exchange settings of the peer contract
// (model/peer_contract.h), then the channels that carry answers and signals.
[[nodiscard]] const Words& peer_keys();
// A peer's switch (allow_loss, reconnect, ...).
inline const Words kPeerSwitchChoices{"true", "false"};

}  // namespace faultline
