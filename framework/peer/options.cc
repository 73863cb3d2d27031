// Command line parsing with CLI11; see options.h.
#include "options.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <array>
#include <charconv>
#include <iostream>

namespace faultline::peer {
namespace {

constexpr std::array<std::string_view, 10> kTypes = {"pipe", "fifo", "msgqueue",    "posix-mq",
                                                     "shm",  "mmap", "unix-stream", "unix-dgram",
                                                     "tcp",  "udp"};

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
  const std::string& t = o.type;
  if ((t == "fifo" || t == "unix-stream" || t == "unix-dgram") && o.path.empty()) {
    return fmt::format("--type {} needs --path (the channel's path attribute)", t);
  }
  if (t == "posix-mq" && o.name.empty()) return "--type posix-mq needs --name";
  if (t == "mmap" && o.name.empty() == o.path.empty()) {
    return "--type mmap needs --name (POSIX shm backing) or --path (file backing), not both";
  }
  if ((t == "msgqueue" || t == "shm") && !o.id && !o.key) {
    return fmt::format("--type {} needs --id or --key", t);
  }
  if ((t == "tcp" || t == "udp") && o.port <= 0) {
    return fmt::format("--type {} needs --port", t);
  }
  const bool two_way = o.mode == Mode::echo || o.mode == Mode::request;
  const char* reply_flag = t == "fifo" ? "--reply-path" : "--reply-name";
  const bool reply_given = !o.reply_path.empty() || !o.reply_name.empty();
  if ((t == "fifo" || t == "posix-mq") && two_way &&
      (t == "fifo" ? o.reply_path : o.reply_name).empty()) {
    return fmt::format(
        "--type {} carries messages one way only: --mode {} needs a second {} for the answers, "
        "given with {} (the client's frames go over the first)",
        t, to_string(o.mode), t == "fifo" ? "FIFO" : "queue", reply_flag);
  }
  if (reply_given && (!two_way || (t != "fifo" && t != "posix-mq"))) {
    return "--reply-path/--reply-name name the answer channel of echo/request over a fifo "
           "(--reply-path) or posix-mq (--reply-name); other types and modes have no use for it";
  }
  if ((t == "fifo" && !o.reply_name.empty()) || (t == "posix-mq" && !o.reply_path.empty())) {
    return fmt::format("--type {} takes its answer channel as {}", t, reply_flag);
  }
  if (o.reconnect && t != "unix-stream" && t != "tcp") {
    return fmt::format("--reconnect is for stream sockets (unix-stream, tcp), not {}", t);
  }
  if ((given("--sem-id") || given("--sem-key")) && t != "shm" && t != "mmap") {
    return "--sem-id/--sem-key signal a shared memory ring: only with --type shm or mmap";
  }
  return {};
}

}  // namespace

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::send:
      return "send";
    case Mode::recv:
      return "recv";
    case Mode::echo:
      return "echo";
    case Mode::request:
      return "request";
  }
  return "?";
}

std::variant<PeerOptions, int> parse_options(int argc, char** argv) {
  PeerOptions o;
  CLI::App app{
      "faultline-peer: sends, receives or echoes checked frames over any faultline channel "
      "and prints a one-line JSON summary (the last line of its output)"};
  app.set_version_flag("--version", std::string("faultline-peer ") + FAULTLINE_VERSION);
  const std::map<std::string, Mode> modes{
      {"send", Mode::send}, {"recv", Mode::recv}, {"echo", Mode::echo}, {"request", Mode::request}};
  std::string mode;
  app.add_option("--mode", mode, "send | recv | echo (server) | request (client)")
      ->required()
      ->check(CLI::IsMember(std::vector<std::string>{"send", "recv", "echo", "request"}));
  app.add_option("--type", o.type, "channel type (DESIGN.md section 1)")
      ->required()
      ->check(CLI::IsMember(std::vector<std::string>(kTypes.begin(), kTypes.end())));
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

  std::string size = "1..512", timeout = "10s", idle = "1s";
  std::optional<int> summary_fd;
  app.add_option("--count", o.count, "messages to exchange (default 100)");
  app.add_option("--size", size, "payload bytes: N or MIN..MAX (default 1..512)");
  app.add_option("--rate", o.rate, "messages per second, 0 for as fast as possible (default)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--timeout", timeout, "the whole exchange (default 10s)");
  app.add_option("--idle", idle,
                 "with --allow-loss: stop waiting for a message after this long (default 1s)");
  app.add_flag("--allow-loss", o.allow_loss, "lost messages do not fail the exchange");
  app.add_flag("--allow-corrupt", o.allow_corrupt, "corrupted messages do not fail the exchange");
  app.add_flag("--reconnect", o.reconnect,
               "unix-stream, tcp: when the connection breaks, a server accepts the next one and "
               "a client connects again (resending the frame it was waiting on)");
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
  o.mode = modes.at(mode);
  if (auto problem = parse_size(size, o); !problem.empty()) return fail(problem);
  auto t = parse_duration(timeout);
  auto i = parse_duration(idle);
  if (!t || t->count() <= 0)
    return fail("--timeout '" + timeout + "' is not a duration (e.g. 10s)");
  if (!i || i->count() <= 0) return fail("--idle '" + idle + "' is not a duration (e.g. 500ms)");
  o.timeout = *t;
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
  bool stdout_is_channel = o.type == "pipe" && o.out_fd == 1 && o.mode != Mode::recv;
  o.summary_fd = summary_fd ? *summary_fd : (stdout_is_channel ? 2 : 1);
  if (auto problem = check_attributes(o, app); !problem.empty()) return fail(problem);
  return o;
}

}  // namespace faultline::peer
