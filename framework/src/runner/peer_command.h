// `peer:` processes: the faultline-peer command line made from a PeerSpec and its channel's
// attributes, and the summary the peer prints as its last line.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "channels/channel.h"
#include "faultline/scenario.h"

namespace faultline {

// FAULTLINE_PEER when set, else faultline-peer next to the running executable. Empty when
// none exists.
[[nodiscard]] std::filesystem::path default_peer_path();

// The argv that runs `peer` over its provisioned channel (docs/peer.md for the flags). A
// count or size the peer leaves unset is taken from another peer of `scenario` on the same
// channel, so both ends agree. Throws std::runtime_error naming what is missing.
[[nodiscard]] std::vector<std::string> peer_argv(
    const PeerSpec& peer, const Scenario& scenario, const std::filesystem::path& program,
    const std::map<std::string, std::unique_ptr<Channel>>& channels);

// What a peer's summary line says, for the report and `expect: { peers: intact }`.
struct PeerReport {
  bool intact = false;
  std::string text;  // "98 received, 2 lost, 1 corrupted" or the peer's own error
};

// The last line of `output` that is a peer summary (JSON with a "peer" key), nullopt when
// there is none (the peer died before it could print it).
[[nodiscard]] std::optional<PeerReport> read_peer_summary(const std::string& output);

}  // namespace faultline
