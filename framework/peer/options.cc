// Command line parsing with CLI11; see options.h.
#include "options.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <climits>
#include <cstdint>
#include <iostream>
#include <map>

#include "util/overloaded.h"

namespace faultline::peer {
namespace {

std::optional<std::uint32_t> parse_u32(std::string_view text) {
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "N" or "MIN..MAX"; an empty string when fine, else what is wrong.
std::string parse_size(const std::string& text, PeerOptions& out) {
  auto dots = text.find("..");
  auto min = parse_u32(std::string_view(text).substr(0, dots));
  auto max = dots == std::string::npos ? min : parse_u32(std::string_view(text).substr(dots + 2));
  if (!min || !max)
    return fmt::format("--size '{}' is not N or MIN..MAX (e.g. 64 or 1..512)", text);
  if (*min > *max) return fmt::format("--size '{}': MIN is above MAX", text);
  if (*max > (1u << 24)) return fmt::format("--size '{}': a message holds at most 16 MiB", text);
  out.size_min = *min;
  out.size_max = *max;
  return {};
}

std::string check_attributes(const PeerOptions& o, const CLI::App& app) {
  auto given = [&](const char* flag) { return app.count(flag) > 0; };
  const ChannelTypeInfo& type = channel_type_info(o.type);
  const std::string_view t = type.name;
  switch (type.address) {
    case ChannelAddress::path:
      if (o.path.empty())
        return fmt::format("--type {} needs --path (the channel's path attribute)", t);
      break;
    case ChannelAddress::name:
      if (o.name.empty()) return fmt::format("--type {} needs --name", t);
      break;
    case ChannelAddress::path_or_name:
      if (o.name.empty() == o.path.empty()) {
        return fmt::format(
            "--type {} needs --name (POSIX shm backing) or --path (file backing), not both", t);
      }
      break;
    case ChannelAddress::sysv:
      if (!o.id && !o.key) return fmt::format("--type {} needs --id or --key", t);
      break;
    case ChannelAddress::port:
      if (o.port <= 0) return fmt::format("--type {} needs --port", t);
      break;
    case ChannelAddress::fds:
    case ChannelAddress::none:
      break;
  }
  const bool both_ways = two_way(o.mode);
  // fifo, posix-mq: one way, so echo/request name a second object of the same kind for the
  // answers (a pipe's answers use the other stdio fd).
  const bool named_reply = type.one_way && (type.address == ChannelAddress::path ||
                                            type.address == ChannelAddress::name);
  const bool reply_by_path = type.address == ChannelAddress::path;
  const char* reply_flag = reply_by_path ? "--reply-path" : "--reply-name";
  const bool reply_given = !o.reply_path.empty() || !o.reply_name.empty();
  if (named_reply && both_ways && (reply_by_path ? o.reply_path : o.reply_name).empty()) {
    return fmt::format(
        "--type {} carries messages one way only: --mode {} needs a second {} for the answers, "
        "given with {} (the client's frames go over the first)",
        t, to_string(o.mode), o.type == ChannelType::fifo ? "FIFO" : "queue", reply_flag);
  }
  if (reply_given && (!both_ways || !named_reply)) {
    return "--reply-path/--reply-name name the answer channel of echo/request over a fifo "
           "(--reply-path) or posix-mq (--reply-name); other types and modes have no use for it";
  }
  if (named_reply && !(reply_by_path ? o.reply_name : o.reply_path).empty()) {
    return fmt::format("--type {} takes its answer channel as {}", t, reply_flag);
  }
  if (o.reconnect && !type.stream_socket) {
    return fmt::format("--reconnect is for stream sockets (unix-stream, tcp), not {}", t);
  }
  if ((given("--sem-id") || given("--sem-key")) && !type.ring) {
    return "--sem-id/--sem-key signal a shared memory ring: only with --type shm or mmap";
  }
  return {};
}

std::vector<std::string> as_strings(const std::vector<std::string_view>& words) {
  return {words.begin(), words.end()};
}

// One exchange setting of the peer contract as a flag, typed as the contract says. A duration
// is read as text into `durations` (converted once parsing is done).
void add_setting(CLI::App& app, const PeerSetting& s, PeerOptions& o,
                 std::map<std::string_view, std::string>& durations) {
  const std::string flag(s.flag), help(s.help);
  std::visit(Overloaded{
                 [&](std::optional<std::uint64_t> PeerExchange::*count) {
                   // The exchange counts frames in 32 bits.
                   app.add_option(flag, o.*count, help)
                       ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{UINT32_MAX}));
                 },
                 [&](std::optional<std::string> PeerExchange::*size) {
                   app.add_option(flag, o.*size, help);
                 },
                 [&](double PeerExchange::*rate) {
                   app.add_option(flag, o.*rate, help)->check(CLI::NonNegativeNumber);
                 },
                 [&](Duration PeerExchange::*duration) {
                   durations[s.flag] = format_duration(o.*duration);
                   app.add_option(flag, durations[s.flag], help);
                 },
                 [&](bool PeerExchange::*flag_member) { app.add_flag(flag, o.*flag_member, help); },
             },
             s.field);
}

// The durations read as text, into `o`; "" when fine, else what is wrong.
std::string convert_durations(const std::map<std::string_view, std::string>& durations,
                              PeerOptions& o) {
  for (const PeerSetting& s : peer_settings()) {
    auto* member = std::get_if<Duration PeerExchange::*>(&s.field);
    if (!member) continue;
    const std::string& text = durations.at(s.flag);
    auto d = parse_duration(text);
    if (!d || d->count() <= 0) {
      return fmt::format("{} '{}' is not a duration (e.g. {})", s.flag, text,
                         format_duration(PeerExchange{}.**member));
    }
    o.** member = *d;
  }
  return {};
}

}  // namespace

std::variant<PeerOptions, int> parse_options(int argc, char** argv) {
  PeerOptions o;
  CLI::App app{
      "faultline-peer: sends, receives or echoes checked frames over any faultline channel "
      "and prints a one-line JSON summary (the last line of its output)"};
  app.set_version_flag("--version", std::string("faultline-peer ") + FAULTLINE_VERSION);
  std::string mode, type;
  app.add_option("--mode", mode, "send | recv | echo (server) | request (client)")
      ->required()
      ->check(CLI::IsMember(as_strings(peer_mode_names())));
  app.add_option("--type", type, "channel type (DESIGN.md section 1)")
      ->required()
      ->check(CLI::IsMember(as_strings(peer_channel_type_names())));
  auto* channel = "Channel attributes";
  app.add_option("--path", o.path, "fifo, unix-stream, unix-dgram, mmap (file): the path")
      ->group(channel);
  app.add_option("--name", o.name, "posix-mq, mmap (POSIX shm): the name")->group(channel);
  app.add_option("--reply-path", o.reply_path,
                 "fifo, echo/request: the second FIFO, which carries the answers")
      ->group(channel);
  app.add_option("--reply-name", o.reply_name,
                 "posix-mq, echo/request: the second queue, which carries the answers")
      ->group(channel);
  app.add_option("--key", o.key, "msgqueue, shm: the System V key")->group(channel);
  app.add_option("--id", o.id, "msgqueue, shm: the System V id (preferred over --key)")
      ->group(channel);
  app.add_option("--host", o.host, "tcp, udp: the address (default 127.0.0.1)")->group(channel);
  app.add_option("--port", o.port, "tcp, udp: the port")
      ->group(channel)
      ->check(CLI::Range(1, 65535));
  std::optional<int> fd;
  app.add_option("--fd", fd, "pipe: the one end this mode uses (send writes, recv reads)")
      ->group(channel);
  app.add_option("--in-fd", o.in_fd, "pipe: the read end (default 0)")->group(channel);
  app.add_option("--out-fd", o.out_fd, "pipe: the write end (default 1)")->group(channel);
  app.add_option("--sem-id", o.sem_id,
                 "shm, mmap: signal through this semaphore set (2 semaphores for send/recv, 4 "
                 "for echo/request) instead of a futex in the segment")
      ->group(channel);
  app.add_option("--sem-key", o.sem_key, "shm, mmap: the semaphore set by key")->group(channel);

  std::map<std::string_view, std::string> durations;
  for (const PeerSetting& setting : peer_settings()) add_setting(app, setting, o, durations);
  std::string idle = "1s";
  std::optional<int> summary_fd;
  app.add_option("--idle", idle,
                 "with --allow-loss: stop waiting for a message after this long (default 1s)");
  app.add_option("--seed", o.seed, "payload sizes and bytes (default 1)");
  app.add_option("--summary-fd", summary_fd,
                 "where the JSON summary goes (default 1, or 2 when fd 1 is the channel)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  auto fail = [](const std::string& message) {
    std::cerr << "faultline-peer: " << message << "\n";
    return 2;
  };
  o.mode = *peer_mode_from_string(mode);
  o.type = *channel_type_from_string(type);
  o.messages = static_cast<std::uint32_t>(o.count.value_or(100));
  if (auto problem = parse_size(o.size.value_or("1..512"), o); !problem.empty())
    return fail(problem);
  if (auto problem = convert_durations(durations, o); !problem.empty()) return fail(problem);
  auto i = parse_duration(idle);
  if (!i || i->count() <= 0) return fail("--idle '" + idle + "' is not a duration (e.g. 500ms)");
  o.idle = *i;
  if (fd) {
    if (o.mode == Mode::send) {
      o.out_fd = *fd;
    } else if (o.mode == Mode::recv) {
      o.in_fd = *fd;
    } else {
      return fail("--fd names one end of a pipe: for echo/request give --in-fd and --out-fd");
    }
  }
  bool stdout_is_channel = o.type == ChannelType::pipe && o.out_fd == 1 && o.mode != Mode::recv;
  o.summary_fd = summary_fd ? *summary_fd : (stdout_is_channel ? 2 : 1);
  if (auto problem = check_attributes(o, app); !problem.empty()) return fail(problem);
  return o;
}

}  // namespace faultline::peer
