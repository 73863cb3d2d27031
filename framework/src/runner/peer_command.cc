// peer_argv() and read_peer_summary(); see peer_command.h.
#include "runner/peer_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "model/peer_contract.h"

namespace faultline {

std::filesystem::path default_peer_path() {
  if (const char* env = std::getenv("FAULTLINE_PEER"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  auto candidate = exe.parent_path() / "faultline-peer";
  return std::filesystem::exists(candidate, ec) ? candidate : std::filesystem::path{};
}

std::vector<std::string> peer_argv(
    const PeerSpec& peer, const Scenario& scenario, const std::filesystem::path& program,
    const std::map<std::string, std::unique_ptr<Channel>>& channels) {
  auto found = channels.find(peer.channel);
  if (found == channels.end())
    throw std::runtime_error("peer channel '" + peer.channel + "' was not provisioned");
  const Channel& ch = *found->second;
  auto mode = peer_mode_from_string(peer.mode);
  if (!mode) throw std::runtime_error("peer mode '" + peer.mode + "' is not one of the peer's");
  PeerInvocation in;
  in.mode = *mode;
  in.type = ch.spec().type;
  in.channel = ch.attributes();
  if (!peer.reply.empty() && ch.spec().type != ChannelType::pipe) {
    // A pipe's answers arrive on stdin or leave on stdout; the others name a second object.
    auto reply = channels.find(peer.reply);
    if (reply == channels.end())
      throw std::runtime_error("peer reply channel '" + peer.reply + "' was not provisioned");
    in.reply = reply->second->attributes();
  }
  if (!peer.signal.empty()) {
    auto sem = channels.find(peer.signal);
    if (sem == channels.end())
      throw std::runtime_error("peer signal channel '" + peer.signal + "' was not provisioned");
    in.signal = sem->second->attributes();
    (void)in.signal.at("id");  // throws, as before, when the semaphore exports no id
  }
  in.exchange = peer;
  for (const auto& other : scenario.processes) {
    if (!other.peer || &*other.peer == &peer || other.peer->channel != peer.channel) continue;
    if (!in.exchange.count) in.exchange.count = other.peer->count;
    if (!in.exchange.size) in.exchange.size = other.peer->size;
  }
  std::vector<std::string> argv{program.string()};
  auto args = peer_arguments(in);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::optional<PeerReport> read_peer_summary(const std::string& output) {
  std::size_t end = output.size();
  while (end > 0) {
    std::size_t start = output.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string line = output.substr(start, end - start);
    end = start == 0 ? 0 : start - 1;
    if (line.empty() || line.front() != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("peer")) continue;
    PeerReport r;
    r.intact = j.value("intact", false);
    auto count = [&](const char* key) { return j.value(key, std::uint64_t{0}); };
    r.text = fmt::format("{} sent, {} received", count("sent"), count("received"));
    for (const char* key : {"lost", "duplicated", "reordered", "corrupted"})
      if (count(key) > 0) r.text += fmt::format(", {} {}", count(key), key);
    if (count("connections") > 1)
      r.text += fmt::format(" over {} connections", count("connections"));
    if (j.contains("error") && j["error"].is_string())
      r.text += "; " + j["error"].get<std::string>();
    return r;
  }
  return std::nullopt;
}

}  // namespace faultline
