// The contract between a scenario's `peer:` block (the DSL) and faultline-peer's command line:
// the modes, the exchange settings both accept (one row each: key, flag, type), and the argv
// the runner hands the peer. Adding a setting is one row here and one field in PeerExchange;
// the loader, the argv and the peer's parser follow the table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "faultline/duration.h"
#include "model/channel_type.h"

namespace faultline {

enum class PeerMode { send, recv, echo, request };

[[nodiscard]] std::string_view to_string(PeerMode mode);
[[nodiscard]] std::optional<PeerMode> peer_mode_from_string(std::string_view s);
// "send", "recv", "echo", "request"
[[nodiscard]] const std::vector<std::string_view>& peer_mode_names();
// recv and echo wait for the other side (bind, accept, read first); send and request start.
[[nodiscard]] constexpr bool is_server(PeerMode m) {
  return m == PeerMode::recv || m == PeerMode::echo;
}
// echo and request carry frames both ways.
[[nodiscard]] constexpr bool two_way(PeerMode m) {
  return m == PeerMode::echo || m == PeerMode::request;
}

// The exchange settings a `peer:` block gives and the peer's command line carries.
struct PeerExchange {
  // Unset: the other peer's on the same channel (the runner fills it in), else the peer's
  // own default (100 messages of 1..512 bytes).
  std::optional<std::uint64_t> count;
  std::optional<std::string> size;  // payload bytes: N or MIN..MAX
  double rate = 0;                  // messages per second, 0 = as fast as it goes
  Duration timeout = std::chrono::seconds(10);
  bool allow_loss = false;     // lost messages (drop faults) do not fail the exchange
  bool allow_corrupt = false;  // nor do corrupted ones
  bool reconnect = false;      // unix-stream/tcp: go on over a new connection when one breaks

  bool operator==(const PeerExchange&) const = default;
};

// Where a setting lives in PeerExchange; the alternative is its type, which says how it is
// read (a `peer:` value, a flag's argument) and written (argv): count (a whole number >= 1,
// omitted when unset), size (N or MIN..MAX, omitted when unset), rate (>= 0), a duration, a
// switch (a bare flag when true).
using PeerField = std::variant<std::optional<std::uint64_t> PeerExchange::*,
                               std::optional<std::string> PeerExchange::*, double PeerExchange::*,
                               Duration PeerExchange::*, bool PeerExchange::*>;

struct PeerSetting {
  std::string_view key;   // in a `peer:` block: "allow_loss"
  std::string_view flag;  // on faultline-peer's command line: "--allow-loss"
  PeerField field;
  std::string_view help;  // faultline-peer --help
};

// Every exchange setting, in the order the runner passes them.
[[nodiscard]] const std::vector<PeerSetting>& peer_settings();

// The channel attributes the peer takes as flags of the same name ("path" -> --path), in the
// order the runner passes them.
[[nodiscard]] const std::vector<std::string_view>& peer_attribute_names();

// True for "N" or "MIN..MAX" (digits only); the peer checks the numbers' range itself.
[[nodiscard]] bool is_peer_size(std::string_view text);

// What the runner knows once the channels are provisioned: the peer's mode, its channel's
// type and attributes (Channel::attributes()), those of the channel for the answers (echo or
// request over a fifo or posix-mq) and of the semaphore it signals through (shm, mmap).
struct PeerInvocation {
  PeerMode mode = PeerMode::send;
  ChannelType type = ChannelType::pipe;
  std::map<std::string, std::string> channel;
  std::map<std::string, std::string> reply;   // empty: no reply channel
  std::map<std::string, std::string> signal;  // empty: the futex in the segment
  PeerExchange exchange;
};

// faultline-peer's arguments (without argv[0]) for `invocation`: --mode, --type, one flag per
// attribute, --reply-path/--reply-name, --sem-id, then one flag per exchange setting.
[[nodiscard]] std::vector<std::string> peer_arguments(const PeerInvocation& invocation);

}  // namespace faultline
