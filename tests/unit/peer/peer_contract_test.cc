// The peer contract (model/peer_contract.h): every setting a scenario's `peer:` block accepts
// reaches faultline-peer through the argv the runner builds and comes back out of the peer's
// own parser unchanged, for every channel type and mode; names outside the vocabulary are
// refused with the messages they always had.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>
#include <variant>

#include "faultline/scenario.h"
#include "model/channel_type.h"
#include "model/peer_contract.h"
#include "options.h"
#include "support.h"
#include "util/overloaded.h"

using faultline::ChannelAddress;
using faultline::ChannelType;
using faultline::PeerExchange;
using faultline::PeerInvocation;
using faultline::PeerMode;
using faultline::PeerSetting;
using faultline::peer::PeerOptions;

namespace {

// The peer's parser on `args` (argv[0] added), with what it printed to stderr.
struct Parsed {
  std::variant<PeerOptions, int> result;
  std::string err;
};

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "faultline-peer");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  auto result = faultline::peer::parse_options(static_cast<int>(argv.size()), argv.data());
  std::cerr.rdbuf(old);
  return {std::move(result), err.str()};
}

// Attributes as the runner's channels export them, for a channel of `type`.
std::map<std::string, std::string> attributes_of(ChannelType type) {
  switch (faultline::channel_type_info(type).address) {
    case ChannelAddress::path:
    case ChannelAddress::path_or_name:
      return {{"path", "/tmp/faultline-contract/ch"}};
    case ChannelAddress::name:
      return {{"name", "/faultline-contract-ch"}};
    case ChannelAddress::sysv:
      return {{"id", "4242"}, {"key", "99"}};  // the peer is given the id only
    case ChannelAddress::port:
      return {{"host", "127.0.0.5"}, {"port", "4711"}};
    case ChannelAddress::fds:
    case ChannelAddress::none:
      break;
  }
  return {};
}

// A value unlike the default for every setting, as a scenario file writes it and as the
// contract holds it: the table decides, so a new setting is covered without editing this.
struct Sample {
  std::string yaml;
};
Sample sample_value(const PeerSetting& s, PeerExchange& x) {
  return std::visit(faultline::Overloaded{
                        [&](std::optional<std::uint64_t> PeerExchange::*m) {
                          x.*m = 7;
                          return Sample{"7"};
                        },
                        [&](std::optional<std::string> PeerExchange::*m) {
                          x.*m = "3..9";
                          return Sample{"3..9"};
                        },
                        [&](double PeerExchange::*m) {
                          x.*m = 25;
                          return Sample{"25"};
                        },
                        [&](faultline::Duration PeerExchange::*m) {
                          x.*m = std::chrono::milliseconds(1500);
                          return Sample{"1500ms"};
                        },
                        [&](bool PeerExchange::*m) {
                          x.*m = true;
                          return Sample{"true"};
                        },
                    },
                    s.field);
}

}  // namespace

TEST_CASE("Every peer setting round-trips through the argv to the peer's parser, on every type") {
  const auto type_name = GENERATE(from_range(faultline::peer_channel_type_names()));
  const auto mode_name = GENERATE(from_range(faultline::peer_mode_names()));
  const ChannelType type = *faultline::channel_type_from_string(type_name);
  const PeerMode mode = *faultline::peer_mode_from_string(mode_name);
  const auto& info = faultline::channel_type_info(type);
  INFO(type_name << " " << mode_name);

  PeerInvocation in;
  in.mode = mode;
  in.type = type;
  in.channel = attributes_of(type);
  for (const PeerSetting& s : faultline::peer_settings()) (void)sample_value(s, in.exchange);
  in.exchange.reconnect = info.stream_socket;  // the peer refuses it elsewhere (tested below)
  const bool named_reply = info.one_way && type != ChannelType::pipe;
  if (named_reply && faultline::two_way(mode)) {
    in.reply = info.address == ChannelAddress::path
                   ? std::map<std::string, std::string>{{"path", "/tmp/faultline-contract/reply"}}
                   : std::map<std::string, std::string>{{"name", "/faultline-contract-reply"}};
  }
  if (info.ring) in.signal = {{"id", "77"}, {"key", "12"}};

  auto parsed = parse(faultline::peer_arguments(in));
  INFO(parsed.err);
  REQUIRE(std::holds_alternative<PeerOptions>(parsed.result));
  const PeerOptions& o = std::get<PeerOptions>(parsed.result);
  CHECK(static_cast<const PeerExchange&>(o) == in.exchange);
  CHECK(o.mode == mode);
  CHECK(o.type == type);
  CHECK(o.messages == 7);
  CHECK(o.size_min == 3);
  CHECK(o.size_max == 9);
  auto attr = [&](const std::map<std::string, std::string>& m, const char* k) {
    auto it = m.find(k);
    return it == m.end() ? std::string() : it->second;
  };
  CHECK(o.path == attr(in.channel, "path"));
  CHECK(o.name == attr(in.channel, "name"));
  CHECK(o.reply_path == attr(in.reply, "path"));
  CHECK(o.reply_name == attr(in.reply, "name"));
  CHECK(o.id == (info.address == ChannelAddress::sysv ? std::optional<int>(4242) : std::nullopt));
  CHECK_FALSE(o.key);  // the runner passes the id, which the peer prefers
  if (info.address == ChannelAddress::port) {
    CHECK(o.host == "127.0.0.5");
    CHECK(o.port == 4711);
  }
  CHECK(o.sem_id == (info.ring ? std::optional<int>(77) : std::nullopt));
}

TEST_CASE("Every peer setting a scenario file gives reaches the peer's parser unchanged") {
  // The `peer:` block is written from the contract's table: a setting the DSL did not read,
  // or the argv did not carry, or the peer did not parse, shows as a difference here.
  PeerExchange expected;
  std::string settings;
  for (const PeerSetting& s : faultline::peer_settings()) {
    settings += fmt::format(", {}: {}", s.key, sample_value(s, expected).yaml);
  }
  faultline::test::TempScenario file(
      "scenario: contract\nchannels:\n  c: { type: unix-stream }\nprocesses:\n"
      "  a:\n    peer: { mode: echo, channel: c" +
      settings + " }\n");
  auto loaded = faultline::load_scenario(file.path());
  INFO((loaded.diagnostics.empty() ? std::string() : loaded.diagnostics[0].message));
  REQUIRE(loaded.scenario);
  const faultline::PeerSpec& spec = *loaded.scenario->processes.at(0).peer;
  CHECK(static_cast<const PeerExchange&>(spec) == expected);

  PeerInvocation in;
  in.mode = *faultline::peer_mode_from_string(spec.mode);
  in.type = ChannelType::unix_stream;
  in.channel = {{"path", "/tmp/faultline-contract/ch"}};
  in.exchange = spec;
  auto parsed = parse(faultline::peer_arguments(in));
  INFO(parsed.err);
  REQUIRE(std::holds_alternative<PeerOptions>(parsed.result));
  CHECK(static_cast<const PeerExchange&>(std::get<PeerOptions>(parsed.result)) == expected);
}

TEST_CASE("Settings left unset are not passed, and the peer fills in its defaults") {
  PeerInvocation in;
  in.mode = PeerMode::recv;
  in.type = ChannelType::tcp;
  in.channel = {{"port", "4711"}};
  auto args = faultline::peer_arguments(in);
  CHECK(std::find(args.begin(), args.end(), "--count") == args.end());
  CHECK(std::find(args.begin(), args.end(), "--size") == args.end());
  CHECK(std::find(args.begin(), args.end(), "--allow-loss") == args.end());
  auto parsed = parse(args);
  REQUIRE(std::holds_alternative<PeerOptions>(parsed.result));
  const PeerOptions& o = std::get<PeerOptions>(parsed.result);
  CHECK(o.messages == 100);
  CHECK(o.size_min == 1);
  CHECK(o.size_max == 512);
  CHECK(o.timeout == std::chrono::seconds(10));
  CHECK(o.rate == 0);
}

TEST_CASE("The peer's argv is what the runner always passed, flag for flag") {
  PeerInvocation in;
  in.mode = PeerMode::request;
  in.type = ChannelType::fifo;
  in.channel = {{"path", "/r/c.fifo"}};
  in.reply = {{"path", "/r/a.fifo"}};
  in.exchange.count = 5;
  in.exchange.size = "64";
  in.exchange.rate = 100;
  in.exchange.timeout = std::chrono::milliseconds(2500);
  in.exchange.allow_loss = true;
  CHECK(faultline::peer_arguments(in) ==
        std::vector<std::string>{"--mode", "request", "--type", "fifo", "--path", "/r/c.fifo",
                                 "--reply-path", "/r/a.fifo", "--count", "5", "--size", "64",
                                 "--rate", "100", "--timeout", "2.5s", "--allow-loss"});
}

TEST_CASE("Reconnect over a type without connections is refused by the peer as before") {
  auto parsed = parse({"--mode", "send", "--type", "udp", "--port", "4711", "--reconnect"});
  REQUIRE(std::holds_alternative<int>(parsed.result));
  CHECK(std::get<int>(parsed.result) == 2);
  CHECK_THAT(parsed.err,
             Catch::Contains("--reconnect is for stream sockets (unix-stream, tcp), not udp"));
}

TEST_CASE("An unknown channel type is refused by the peer with the list of its types") {
  auto parsed = parse({"--mode", "send", "--type", "unix-steam", "--path", "/x"});
  REQUIRE(std::holds_alternative<int>(parsed.result));
  CHECK(std::get<int>(parsed.result) == 2);
  // The semaphore is not among them: it carries no messages.
  CHECK_THAT(parsed.err, Catch::Contains("unix-steam not in {pipe,fifo,msgqueue,posix-mq,shm,mmap,"
                                         "unix-stream,unix-dgram,tcp,udp}"));
}

TEST_CASE("An unknown channel type in a scenario gets the same suggestion and list as before") {
  faultline::test::TempScenario file(
      "scenario: t\nchannels:\n  c: { type: unix-steam }\nprocesses:\n  a: { run: [x] }\n");
  auto loaded = faultline::load_scenario(file.path());
  REQUIRE(loaded.diagnostics.size() == 1);
  CHECK(loaded.diagnostics[0].message == "channel 'c': unknown type 'unix-steam'");
  CHECK(loaded.diagnostics[0].hint ==
        "did you mean 'unix-stream'? the types are: pipe, fifo, msgqueue, posix-mq, shm, mmap, "
        "semaphore, unix-stream, unix-dgram, tcp, udp");
}

TEST_CASE("A misspelt peer key gets a suggestion from the contract's keys") {
  faultline::test::TempScenario file(
      "scenario: t\nchannels:\n  c: { type: tcp }\nprocesses:\n"
      "  a:\n    peer: { mode: echo, channel: c, alow_loss: true }\n");
  auto loaded = faultline::load_scenario(file.path());
  REQUIRE(loaded.diagnostics.size() == 1);
  CHECK(loaded.diagnostics[0].message == "unknown key 'alow_loss' in process 'a' peer:");
  CHECK(loaded.diagnostics[0].hint == "did you mean 'allow_loss'?");
}

TEST_CASE("Every channel type's name maps back to the type, and semaphore is no peer's") {
  CHECK(faultline::channel_type_names().size() == 11);
  for (auto name : faultline::channel_type_names()) {
    auto t = faultline::channel_type_from_string(name);
    REQUIRE(t);
    CHECK(faultline::to_string(*t) == name);
    CHECK(faultline::channel_type_info(*t).peer_speaks() == (*t != ChannelType::semaphore));
  }
  CHECK_FALSE(faultline::channel_type_from_string("socket"));
}
