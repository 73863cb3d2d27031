// Processes of a scenario file; see process_loader.h.
#include "dsl/process_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <variant>

#include "util/did_you_mean.h"
#include "dsl/scenario_keys.h"
#include "model/channel_type.h"
#include "model/peer_contract.h"
#include "util/overloaded.h"
#include "util/join_words.h"

namespace faultline {
namespace {

const Field* find(const std::vector<Field>& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

class ProcessLoader final {
 public:
  ProcessLoader(YamlReader& r, const Field& entry, const ScenarioNames& names)
      : r_(r), entry_(entry), names_(names) {}

  LoadedProcess load() {
    LoadedProcess out;
    ProcessSpec& p = out.spec;
    p.name = entry_.name;
    p.where = entry_.key_at;
    prefix_ = "process '" + p.name + "'";
    auto fields = r_.entries(entry_, prefix_, kProcessKeys);
    if (!entry_.value.IsMap() && !entry_.value.IsNull()) return out;  // reported by entries()

    const Field* run = find(fields, "run");
    const Field* peer = find(fields, "peer");
    if (run) load_run(*run, p);
    if (peer) load_peer(*peer, p);
    if (run && peer) {
      r_.error(peer->key_at, fmt::format("{} has both run: and peer:", prefix_),
               "keep run: for your own program, or peer: for the built-in peer, not both");
    }
    if (!run && !peer) {
      r_.error(entry_.key_at, fmt::format("{} has neither run: nor peer:", prefix_),
               "add run: [program, args...] (or run: \"shell command\")");
    }
    if (const Field* f = find(fields, "after")) load_after(*f, out);
    if (const Field* f = find(fields, "lifetime")) {
      if (auto v = r_.choice(*f, prefix_ + ": lifetime", kLifetimeChoices)) {
        p.lifetime = *v == "service" ? Lifetime::service : Lifetime::task;
      }
    }
    if (const Field* f = find(fields, "stop_signal")) {
      if (auto s = r_.signal(*f, prefix_ + ": stop_signal")) p.stop_signal = *s;
    }
    if (const Field* f = find(fields, "grace")) {
      if (auto d = r_.duration(*f, prefix_ + ": grace")) p.grace = *d;
    }
    if (const Field* f = find(fields, "stdin")) p.stdin_channel = load_std_stream(*f, "stdin");
    if (const Field* f = find(fields, "stdout")) p.stdout_channel = load_std_stream(*f, "stdout");
    if (const Field* f = find(fields, "fds")) load_fds(*f, p);
    if (const Field* f = find(fields, "env")) load_env(*f, p);
    if (const Field* f = find(fields, "cwd")) {
      if (auto v = r_.scalar(*f, prefix_ + ": cwd")) p.cwd = *v;
    }
    if (const Field* f = find(fields, "backend")) {
      if (auto v = r_.choice(*f, prefix_ + ": backend", kBackendChoices)) {
        p.backend = *v == "seccomp" ? Backend::seccomp
                    : *v == "both"  ? Backend::both
                                    : Backend::preload;
      }
    }
    if (const Field* f = find(fields, "stdio")) {
      if (auto v = r_.choice(*f, prefix_ + ": stdio", kStdioChoices)) p.stdio_pty = *v == "pty";
    }
    if (const Field* f = find(fields, "ready")) load_ready(*f, p);
    if (const Field* f = find(fields, "expect")) load_expect(*f, p);
    return out;
  }

 private:
  void load_run(const Field& f, ProcessSpec& p) {
    if (f.value.IsScalar()) {
      if (f.value.Scalar().empty()) {
        r_.error(f.value_at, fmt::format("{}: run: is empty", prefix_),
                 "write the command to run, e.g. run: [programs/server, --port, \"${ctl.port}\"]");
        return;
      }
      p.argv = {"/bin/sh", "-c", f.value.Scalar()};
      p.shell = true;
      return;
    }
    if (!f.value.IsSequence() || f.value.size() == 0) {
      r_.error(f.value_at,
               fmt::format("{}: run: must be a list of arguments or a shell command string, not {}",
                           prefix_, f.value.IsSequence() ? "an empty list" : node_kind(f.value)),
               "write run: [program, arg, ...] (no shell) or run: \"program arg | other\" (shell)");
      return;
    }
    for (const auto& node : f.value) {
      if (auto arg = r_.scalar(r_.item(node), "an argument of run:")) p.argv.push_back(*arg);
    }
  }

  // One exchange setting of `peer:`, read as its type in the peer contract says.
  void load_peer_setting(const Field& f, const PeerSetting& setting, PeerExchange& x) {
    const std::string what = fmt::format("peer {}", setting.key);
    std::visit(
        Overloaded{
            [&](std::optional<std::uint64_t> PeerExchange::*count) {
              if (auto v = r_.unsigned_number(f, what, 1)) x.*count = *v;
            },
            [&](std::optional<std::string> PeerExchange::*size) {
              auto v = r_.scalar(f, what);
              if (!v) return;
              if (is_peer_size(*v)) {
                x.*size = *v;
              } else {
                r_.error(f.value_at, fmt::format("{} '{}' is not N or MIN..MAX", what, *v),
                         fmt::format("write {0}: 64 or {0}: 1..512 (payload bytes)", setting.key));
              }
            },
            [&](double PeerExchange::*rate) {
              if (auto v = r_.unsigned_number(f, what)) x.*rate = static_cast<double>(*v);
            },
            [&](Duration PeerExchange::*duration) {
              if (auto d = r_.duration(f, what)) x.*duration = *d;
            },
            [&](bool PeerExchange::*flag) {
              if (auto v = r_.choice(f, what, kPeerSwitchChoices)) x.*flag = *v == "true";
            },
        },
        setting.field);
  }

  void load_peer(const Field& f, ProcessSpec& p) {
    PeerSpec peer;
    auto fields = r_.entries(f, prefix_ + " peer:", peer_keys());
    const ChannelSpec* channel = nullptr;
    std::optional<PeerMode> mode;
    if (const Field* m = find(fields, "mode")) {
      if (auto v = r_.choice(*m, "peer mode", peer_mode_names())) {
        peer.mode = *v;
        mode = peer_mode_from_string(*v);
      }
    } else {
      r_.error(f.key_at, fmt::format("{} peer: has no mode", prefix_),
               "add mode: send, recv, echo (a server) or request (a client)");
    }
    if (const Field* c = find(fields, "channel")) {
      if (auto name = r_.scalar(*c, "peer channel")) {
        channel = channel_reference(r_, *c, *name, "peer channel", names_);
        if (channel) peer.channel = *name;
      }
    } else {
      r_.error(f.key_at, fmt::format("{} peer: has no channel", prefix_),
               "add channel: NAME, a channel declared under channels:");
    }
    for (const PeerSetting& setting : peer_settings()) {
      if (const Field* v = find(fields, setting.key)) load_peer_setting(*v, setting, peer);
    }
    const ChannelTypeInfo* type = channel ? &channel_type_info(channel->type) : nullptr;
    if (const Field* b = find(fields, "reconnect");
        b && peer.reconnect && type && !type->stream_socket) {
      r_.error(b->key_at,
               fmt::format("{} peer: reconnect: is for stream sockets, and '{}' is a {}", prefix_,
                           channel->name, to_string(channel->type)),
               "reconnect: true works on unix-stream and tcp channels");
    }
    if (const Field* sig = find(fields, "signal")) {
      if (auto name = r_.scalar(*sig, "peer signal")) {
        const ChannelSpec* sem = channel_reference(r_, *sig, *name, "peer signal", names_);
        if (sem && sem->type != ChannelType::semaphore)
          r_.error(sig->value_at, fmt::format("peer signal '{}' is not a semaphore channel", *name),
                   "signal: names a channel of type semaphore (count 2 for send/recv, 4 for "
                   "echo/request); without it the peer signals through a futex in the segment");
        else if (sem)
          peer.signal = *name;
      }
    }
    const Field* reply_field = find(fields, "reply");
    const ChannelSpec* reply = nullptr;
    if (reply_field) {
      if (auto name = r_.scalar(*reply_field, "peer reply"))
        reply = channel_reference(r_, *reply_field, *name, "peer reply", names_);
    }
    const bool both_ways = mode && two_way(*mode);
    const bool one_way_type = type && type->one_way;
    if (reply_field && channel && (!both_ways || !one_way_type)) {
      r_.error(
          reply_field->key_at,
          fmt::format("{} peer: reply: is for echo/request over a pipe, fifo or posix-mq", prefix_),
          both_ways ? fmt::format("a {} channel carries both directions: drop reply:",
                                  to_string(channel->type))
                    : "send and recv use one channel: drop reply:");
    } else if (reply && channel && reply->type != channel->type) {
      r_.error(
          reply_field->value_at,
          fmt::format("{} peer: reply '{}' is a {} channel, channel '{}' a {}", prefix_,
                      reply->name, to_string(reply->type), channel->name, to_string(channel->type)),
          "the answers go over a second channel of the same type");
    } else if (reply && channel && reply->name == channel->name) {
      r_.error(
          reply_field->value_at,
          fmt::format("{} peer: reply: names the peer's own channel '{}'", prefix_, reply->name),
          "declare a second channel for the answers");
    } else if (reply) {
      peer.reply = reply->name;
    } else if (one_way_type && both_ways && !reply_field) {
      r_.error(f.key_at,
               fmt::format("{} peer: mode {} needs two directions, a {} carries one", prefix_,
                           peer.mode, to_string(channel->type)),
               fmt::format("add reply: NAME, a second {} channel for the answers (the client's "
                           "messages go over channel:)",
                           to_string(channel->type)));
    }
    // A pipe carries one direction: the peer's ends are its stdin and stdout. Frames travel
    // over channel:, answers over reply:.
    if (channel && channel->type == ChannelType::pipe && mode) {
      if (is_server(*mode)) p.stdin_channel = peer.channel;
      if (!is_server(*mode)) p.stdout_channel = peer.channel;
      if (!peer.reply.empty()) {
        if (*mode == PeerMode::echo) p.stdout_channel = peer.reply;
        if (*mode == PeerMode::request) p.stdin_channel = peer.reply;
      }
    }
    // A server on a socket is ready once it listens, unless the file says otherwise.
    if (type && mode && is_server(*mode) && type->socket() &&
        p.ready.kind == Readiness::Kind::none) {
      p.ready.kind = Readiness::Kind::listening;
      p.ready.value = peer.channel;
    }
    p.peer = std::move(peer);
  }

  void load_after(const Field& f, LoadedProcess& out) {
    for (const Field& item : r_.items(f, prefix_ + " after:")) {
      auto name = r_.scalar(item, "an entry of after:");
      if (!name) continue;
      const auto& known = names_.processes;
      if (!names_.has_process(*name)) {
        std::string suggestion = did_you_mean(*name, known);
        r_.error(item.value_at,
                 fmt::format("{}: after: names unknown process '{}'", prefix_, *name),
                 suggestion.empty() ? "the processes are: " + join_some_words(known) : suggestion);
        continue;
      }
      out.spec.after.push_back(*name);
      out.after_at.emplace_back(*name, item.value_at);
    }
  }

  // A pipe channel by name, reported when unknown or not a pipe.
  const ChannelSpec* pipe_reference(const Field& f, std::string_view name, std::string_view what) {
    const ChannelSpec* c = channel_reference(r_, f, name, what, names_);
    if (c && c->type != ChannelType::pipe) {
      r_.error(f.value_at,
               fmt::format("{}: {} can only be wired to a pipe channel, and '{}' is a {}", prefix_,
                           what, name, to_string(c->type)),
               fmt::format("declare a channel of type pipe for it, or pass '{}' to the program as "
                           "an argument (e.g. \"${{{}.path}}\")",
                           name, name));
      return nullptr;
    }
    return c;
  }

  std::optional<std::string> load_std_stream(const Field& f, std::string_view what) {
    auto fields = r_.entries(f, fmt::format("{} {}:", prefix_, what), kStdStreamKeys);
    const Field* ch = find(fields, "channel");
    if (!ch) {
      if (f.value.IsMap() || f.value.IsNull()) {
        r_.error(f.key_at, fmt::format("{}: {}: needs a channel", prefix_, what),
                 fmt::format("write {}: {{ channel: NAME }} with a pipe channel", what));
      }
      return std::nullopt;
    }
    auto name = r_.scalar(*ch, fmt::format("{} channel", what));
    if (!name || !pipe_reference(*ch, *name, what)) return std::nullopt;
    return name;
  }

  void load_fds(const Field& f, ProcessSpec& p) {
    for (const Field& e : r_.entries(f, prefix_ + " fds:", {})) {
      int fd = -1;
      auto [end, ec] = std::from_chars(e.name.data(), e.name.data() + e.name.size(), fd);
      if (ec != std::errc() || end != e.name.data() + e.name.size() || fd < 0 || fd > 1023) {
        r_.error(e.key_at,
                 fmt::format("{}: fds: '{}' is not a file descriptor number", prefix_, e.name),
                 "write fds: { 3: p.read, 4: p.write } with numbers from 0 to 1023");
        continue;
      }
      if ((fd == 0 && p.stdin_channel) || (fd == 1 && p.stdout_channel)) {
        r_.error(e.key_at,
                 fmt::format("{}: fd {} is already wired by {}:", prefix_, fd,
                             fd == 0 ? "stdin" : "stdout"),
                 "wire each fd once");
        continue;
      }
      auto text = r_.scalar(e, fmt::format("fd {}", fd));
      if (!text) continue;
      auto dot = text->rfind('.');
      std::string end_name = dot == std::string::npos ? "" : text->substr(dot + 1);
      if (dot == std::string::npos || (end_name != "read" && end_name != "write")) {
        r_.error(e.value_at,
                 fmt::format("{}: fd {}: '{}' must name a pipe end, CHANNEL.read or CHANNEL.write",
                             prefix_, fd, *text),
                 fmt::format("write {}: {}.read or {}: {}.write", fd,
                             dot == std::string::npos ? *text : text->substr(0, dot), fd,
                             dot == std::string::npos ? *text : text->substr(0, dot)));
        continue;
      }
      std::string channel = text->substr(0, dot);
      if (!pipe_reference(e, channel, fmt::format("fd {}", fd))) continue;
      p.fds.push_back(FdWiring{fd, channel, end_name == "write"});
    }
  }

  void load_env(const Field& f, ProcessSpec& p) {
    for (const Field& e : r_.entries(f, prefix_ + " env:", {})) {
      bool ok = !e.name.empty() &&
                (std::isalpha(static_cast<unsigned char>(e.name[0])) || e.name[0] == '_') &&
                std::all_of(e.name.begin(), e.name.end(), [](char c) {
                  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                });
      if (!ok) {
        r_.error(e.key_at, fmt::format("{}: env: '{}' is not a variable name", prefix_, e.name),
                 "use letters, digits and '_', starting with a letter or '_'");
        continue;
      }
      if (e.value.IsNull()) {
        p.env[e.name] = "";
      } else if (auto v = r_.scalar(e, "env " + e.name)) {
        p.env[e.name] = *v;
      }
    }
  }

  void load_ready(const Field& f, ProcessSpec& p) {
    auto fields = r_.entries(f, prefix_ + " ready:", kReadyKeys);
    if (fields.empty()) {
      if (f.value.IsMap() || f.value.IsNull()) {
        r_.error(f.key_at, fmt::format("{}: ready: says nothing", prefix_),
                 "write one of { listening: CHANNEL }, { stdout: REGEX }, { stderr: REGEX }, "
                 "{ file: PATH }, { delay: DURATION }");
      }
      return;
    }
    if (fields.size() > 1) {
      r_.error(fields[1].key_at,
               fmt::format("{}: ready: takes one condition, got '{}' and '{}'", prefix_,
                           fields[0].name, fields[1].name),
               "keep one of listening, stdout, stderr, file, delay");
      return;
    }
    const Field& c = fields[0];
    if (c.name == "listening") {
      auto name = r_.scalar(c, "ready listening");
      if (!name) return;
      const ChannelSpec* ch = channel_reference(r_, c, *name, "ready listening", names_);
      if (!ch) return;
      if (!channel_type_info(ch->type).socket()) {
        r_.error(c.value_at,
                 fmt::format("{}: ready: listening needs a socket channel, and '{}' is a {}",
                             prefix_, *name, to_string(ch->type)),
                 "only unix-stream, unix-dgram, tcp and udp channels can listen; for other "
                 "channels use { stdout: REGEX }, { stderr: REGEX }, { file: PATH } or "
                 "{ delay: DURATION }");
        return;
      }
      p.ready.kind = Readiness::Kind::listening;
      p.ready.value = *name;
    } else if (c.name == "stdout") {
      if (auto re = r_.regex(c, "ready stdout")) {
        p.ready.kind = Readiness::Kind::stdout_regex;
        p.ready.value = *re;
        if (p.stdout_channel) {
          r_.error(c.key_at,
                   fmt::format("{}: ready: stdout cannot be watched, it is wired to channel '{}'",
                               prefix_, *p.stdout_channel),
                   "use { file: PATH } or { delay: DURATION }, or wire the pipe to another fd");
        }
      }
    } else if (c.name == "stderr") {
      if (auto re = r_.regex(c, "ready stderr")) {
        p.ready.kind = Readiness::Kind::stderr_regex;
        p.ready.value = *re;
        if (std::any_of(p.fds.begin(), p.fds.end(), [](const FdWiring& w) { return w.fd == 2; })) {
          r_.error(c.key_at,
                   fmt::format("{}: ready: stderr cannot be watched, fds: wires fd 2 to a channel",
                               prefix_),
                   "use { file: PATH } or { delay: DURATION }, or wire the pipe to another fd");
        }
        const bool stdout_wired =
            p.stdout_channel ||
            std::any_of(p.fds.begin(), p.fds.end(), [](const FdWiring& w) { return w.fd == 1; });
        if (p.stdio_pty && !stdout_wired) {
          r_.error(c.key_at,
                   fmt::format("{}: ready: stderr cannot be watched apart from stdout under "
                               "stdio: pty (both go to one terminal)",
                               prefix_),
                   "use { stdout: REGEX }: it sees what the process writes to either");
        }
      }
    } else if (c.name == "file") {
      if (auto path = r_.scalar(c, "ready file")) {
        p.ready.kind = Readiness::Kind::file;
        p.ready.value = *path;
      }
    } else if (c.name == "delay") {
      if (auto d = r_.duration(c, "ready delay")) {
        p.ready.kind = Readiness::Kind::delay;
        p.ready.delay = *d;
      }
    }
  }

  void load_exit(const Field& f, ExitExpectation& exit) {
    auto code = [&](const Field& item) -> std::optional<int> {
      auto n = r_.unsigned_number(item, "expect exit");
      if (n && *n > 255) {
        r_.error(item.value_at, fmt::format("expect exit: {} is not an exit status", *n),
                 "exit statuses are 0 to 255; for death by a signal use expect: { signal: SIG }");
        return std::nullopt;
      }
      if (!n) return std::nullopt;
      return static_cast<int>(*n);
    };
    if (f.value.IsScalar() &&
        std::find(kExitWords.begin(), kExitWords.end(), f.value.Scalar()) != kExitWords.end()) {
      exit.kind =
          f.value.Scalar() == "any" ? ExitExpectation::Kind::any : ExitExpectation::Kind::nonzero;
      return;
    }
    if (f.value.IsScalar()) {
      const std::string& s = f.value.Scalar();
      if (s.empty() ||
          !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::string suggestion = did_you_mean(s, kExitWords);
        r_.error(f.value_at, fmt::format("expect exit: '{}' is not an exit status", s),
                 suggestion.empty() ? "write a number (0), a list ([0, 1]), nonzero or any"
                                    : suggestion);
        return;
      }
    }
    if (!f.value.IsScalar() && !f.value.IsSequence()) {
      r_.error(f.value_at,
               fmt::format("expect exit: must be a number or a list, not {}", node_kind(f.value)),
               "write a number (0), a list ([0, 1]), nonzero or any");
      return;
    }
    for (const Field& item : r_.items(f, "expect exit")) {
      if (auto c = code(item)) exit.codes.push_back(*c);
    }
  }

  void load_text(const Field& f, std::vector<TextExpectation>& out) {
    std::vector<Field> maps;
    if (f.value.IsSequence()) {
      for (const auto& node : f.value) maps.push_back(r_.item(node));
    } else {
      maps.push_back(f);
    }
    std::string what = fmt::format("{} expect {}:", prefix_, f.name);
    for (const Field& m : maps) {
      auto fields = r_.entries(m, what, kTextKeys);
      if (fields.empty() && (m.value.IsMap() || m.value.IsNull())) {
        r_.error(m.key_at, fmt::format("{} says nothing", what),
                 fmt::format("write {}: {{ contains: TEXT }} (or matches: REGEX, equals: TEXT)",
                             f.name));
      }
      for (const Field& t : fields) {
        std::vector<Field> values;
        if (t.value.IsSequence()) {
          for (const auto& node : t.value) values.push_back(r_.item(node));
        } else {
          values.push_back(t);
        }
        for (const Field& v : values) {
          TextExpectation e;
          std::optional<std::string> text;
          if (t.name == "matches") {
            e.op = TextExpectation::Op::matches;
            text = r_.regex(v, fmt::format("expect {} matches", f.name));
          } else {
            e.op = t.name == "equals" ? TextExpectation::Op::equals : TextExpectation::Op::contains;
            text = r_.scalar(v, fmt::format("expect {} {}", f.name, t.name));
          }
          if (!text) continue;
          e.value = *text;
          out.push_back(std::move(e));
        }
      }
    }
  }

  void load_expect(const Field& f, ProcessSpec& p) {
    auto fields = r_.entries(f, prefix_ + " expect:", kExpectKeys);
    p.expect.declared = true;
    const Field* exit = find(fields, "exit");
    const Field* sig = find(fields, "signal");
    if (exit) {
      ExitExpectation e;
      load_exit(*exit, e);
      p.expect.exit = e;
    }
    if (sig) p.expect.signal = r_.signal(*sig, prefix_ + ": expect signal");
    if (exit && sig && p.expect.exit->kind != ExitExpectation::Kind::any) {
      r_.error(sig->key_at,
               fmt::format("{}: expect: gives both exit and signal, but a process either exits or "
                           "dies of a signal",
                           prefix_),
               "keep the one you expect (exit: any accepts any exit status)");
    }
    if (const Field* t = find(fields, "stdout")) {
      load_text(*t, p.expect.stdout_text);
      if (p.stdout_channel) {
        r_.error(t->key_at,
                 fmt::format("{}: expect: stdout cannot be checked, it is wired to channel '{}'",
                             prefix_, *p.stdout_channel),
                 "check stderr instead, or wire the pipe to another fd");
      }
    }
    if (const Field* t = find(fields, "stderr")) load_text(*t, p.expect.stderr_text);
    if (const Field* w = find(fields, "within"))
      p.expect.within = r_.duration(*w, prefix_ + ": expect within");
  }

  YamlReader& r_;
  const Field& entry_;
  const ScenarioNames& names_;
  std::string prefix_;
};

}  // namespace

void ScenarioNames::index() {
  process_set = {processes.begin(), processes.end()};
  channel_by_name.clear();
  channel_names.clear();
  for (const auto& c : channels) {
    channel_by_name.emplace(c.name, &c);  // the first of a name
    channel_names.push_back(c.name);
  }
  broken_set = {broken_channels.begin(), broken_channels.end()};
}

const ChannelSpec* channel_reference(YamlReader& r, const Field& f, std::string_view name,
                                     std::string_view what, const ScenarioNames& names) {
  if (auto it = names.channel_by_name.find(name); it != names.channel_by_name.end())
    return it->second;
  if (names.broken_set.count(name)) return nullptr;
  const std::vector<std::string_view>& known = names.channel_names;
  std::string suggestion = did_you_mean(name, known);
  r.error(f.value_at, fmt::format("{}: unknown channel '{}'", what, name),
          !suggestion.empty() ? suggestion
          : known.empty()
              ? fmt::format("declare it under channels:, e.g. {}: {{ type: pipe }}", name)
              : "the channels are: " + join_some_words(known));
  return nullptr;
}

LoadedProcess load_process(YamlReader& r, const Field& entry, const ScenarioNames& names) {
  return ProcessLoader(r, entry, names).load();
}

}  // namespace faultline
