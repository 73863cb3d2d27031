// peer_argv() and read_peer_summary(); see peer_command.h.
#include "runner/peer_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "faultline/duration.h"

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
  const auto attrs = ch.attributes();
  auto attr = [&](const char* name) -> std::optional<std::string> {
    auto it = attrs.find(name);
    if (it == attrs.end()) return std::nullopt;
    return it->second;
  };
  std::vector<std::string> argv{program.string(), "--mode", peer.mode, "--type",
                                std::string(to_string(ch.spec().type))};
  // One flag per attribute the peer understands; the runner's attribute names are its flags.
  for (const char* name : {"path", "name", "id", "port", "host"}) {
    if (auto v = attr(name)) {
      argv.push_back(std::string("--") + name);
      argv.push_back(*v);
    }
  }
  if (!peer.reply.empty() && ch.spec().type != ChannelType::pipe) {
    // A pipe's answers arrive on stdin or leave on stdout; the others name a second object.
    auto reply = channels.find(peer.reply);
    if (reply == channels.end())
      throw std::runtime_error("peer reply channel '" + peer.reply + "' was not provisioned");
    auto reply_attrs = reply->second->attributes();
    if (auto it = reply_attrs.find("path"); it != reply_attrs.end())
      argv.insert(argv.end(), {"--reply-path", it->second});
    if (auto it = reply_attrs.find("name"); it != reply_attrs.end())
      argv.insert(argv.end(), {"--reply-name", it->second});
  }
  if (!peer.signal.empty()) {
    auto sem = channels.find(peer.signal);
    if (sem == channels.end())
      throw std::runtime_error("peer signal channel '" + peer.signal + "' was not provisioned");
    auto sem_attrs = sem->second->attributes();
    argv.insert(argv.end(), {"--sem-id", sem_attrs.at("id")});
  }
  auto count = peer.count;
  auto size = peer.size;
  for (const auto& other : scenario.processes) {
    if (!other.peer || &*other.peer == &peer || other.peer->channel != peer.channel) continue;
    if (!count) count = other.peer->count;
    if (!size) size = other.peer->size;
  }
  if (count) argv.insert(argv.end(), {"--count", std::to_string(*count)});
  if (size) argv.insert(argv.end(), {"--size", *size});
  argv.insert(argv.end(),
              {"--rate", std::to_string(peer.rate), "--timeout", format_duration(peer.timeout)});
  if (peer.allow_loss) argv.emplace_back("--allow-loss");
  if (peer.allow_corrupt) argv.emplace_back("--allow-corrupt");
  if (peer.reconnect) argv.emplace_back("--reconnect");
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
