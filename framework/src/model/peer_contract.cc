// The peer contract's tables; see peer_contract.h.
#include "model/peer_contract.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "util/overloaded.h"

namespace faultline {
namespace {

constexpr std::array<std::pair<PeerMode, std::string_view>, 4> kModes{{
    {PeerMode::send, "send"},
    {PeerMode::recv, "recv"},
    {PeerMode::echo, "echo"},
    {PeerMode::request, "request"},
}};

}  // namespace

std::string_view to_string(PeerMode mode) {
  for (const auto& [m, name] : kModes) {
    if (m == mode) return name;
  }
  return "?";
}

std::optional<PeerMode> peer_mode_from_string(std::string_view s) {
  for (const auto& [m, name] : kModes) {
    if (name == s) return m;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& peer_mode_names() {
  static const std::vector<std::string_view> names{"send", "recv", "echo", "request"};
  return names;
}

const std::vector<PeerSetting>& peer_settings() {
  using E = PeerExchange;
  static const std::vector<PeerSetting> settings{
      {"count", "--count", &E::count, "messages to exchange (default 100)"},
      {"size", "--size", &E::size, "payload bytes: N or MIN..MAX (default 1..512)"},
      {"rate", "--rate", &E::rate, "messages per second, 0 for as fast as possible (default)"},
      {"timeout", "--timeout", &E::timeout, "the whole exchange (default 10s)"},
      {"allow_loss", "--allow-loss", &E::allow_loss, "lost messages do not fail the exchange"},
      {"allow_corrupt", "--allow-corrupt", &E::allow_corrupt,
       "corrupted messages do not fail the exchange"},
      {"reconnect", "--reconnect", &E::reconnect,
       "unix-stream, tcp: when the connection breaks, a server accepts the next one and a "
       "client connects again (resending the frame it was waiting on)"},
  };
  return settings;
}

const std::vector<std::string_view>& peer_attribute_names() {
  static const std::vector<std::string_view> names{"path", "name", "id", "port", "host"};
  return names;
}

bool is_peer_size(std::string_view text) {
  // Digits, or digits ".." digits; by hand, so the peer carries no regex engine.
  auto digits = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  auto dots = text.find("..");
  if (dots == std::string_view::npos) return digits(text);
  return digits(text.substr(0, dots)) && digits(text.substr(dots + 2));
}

std::vector<std::string> peer_arguments(const PeerInvocation& in) {
  std::vector<std::string> argv{"--mode", std::string(to_string(in.mode)), "--type",
                                std::string(to_string(in.type))};
  // The runner's attribute names are the peer's flags.
  for (std::string_view name : peer_attribute_names()) {
    if (auto it = in.channel.find(std::string(name)); it != in.channel.end())
      argv.insert(argv.end(), {fmt::format("--{}", name), it->second});
  }
  if (auto it = in.reply.find("path"); it != in.reply.end())
    argv.insert(argv.end(), {"--reply-path", it->second});
  if (auto it = in.reply.find("name"); it != in.reply.end())
    argv.insert(argv.end(), {"--reply-name", it->second});
  if (auto it = in.signal.find("id"); it != in.signal.end())
    argv.insert(argv.end(), {"--sem-id", it->second});
  for (const PeerSetting& s : peer_settings()) {
    const std::string flag(s.flag);
    std::visit(Overloaded{
                   [&](std::optional<std::uint64_t> PeerExchange::*m) {
                     if (const auto& v = in.exchange.*m)
                       argv.insert(argv.end(), {flag, std::to_string(*v)});
                   },
                   [&](std::optional<std::string> PeerExchange::*m) {
                     if (const auto& v = in.exchange.*m) argv.insert(argv.end(), {flag, *v});
                   },
                   [&](double PeerExchange::*m) {
                     argv.insert(argv.end(), {flag, fmt::format("{}", in.exchange.*m)});
                   },
                   [&](Duration PeerExchange::*m) {
                     argv.insert(argv.end(), {flag, format_duration(in.exchange.*m)});
                   },
                   [&](bool PeerExchange::*m) {
                     if (in.exchange.*m) argv.push_back(flag);
                   },
               },
               s.field);
  }
  return argv;
}

}  // namespace faultline
