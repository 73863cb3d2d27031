// Fault specs: one builder for the YAML and the `--fault` front ends, the `--fault` grammar
// and the canonical text form; see faultline/fault_spec.h.
#include "faultline/fault_spec.h"

#include <fmt/format.h>

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "dsl/did_you_mean.h"
#include "faults/call_table.h"

namespace faultline {
namespace {

constexpr std::string_view kActionHint =
    "give exactly one of: error=ERRNO, short=N, eof, delay=DURATION or MIN..MAX, reset, "
    "corrupt[=BITS], drop, signal=SIG, spurious";

const std::vector<std::string_view> kActionKeys{"error",   "short", "eof",    "delay",   "reset",
                                                "corrupt", "drop",  "signal", "spurious"};

bool is_action_key(std::string_view key) {
  return std::find(kActionKeys.begin(), kActionKeys.end(), key) != kActionKeys.end();
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  double v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool is_name(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (s.empty() || !alpha(s.front())) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '-'; });
}

// A YAML flag may be written `eof:`, `eof: true` or on the command line `:eof`.
bool is_flag_true(std::string_view v) { return v.empty() || v == "true" || v == "yes"; }

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

const std::vector<std::string_view>& call_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    for (const auto& c : call_table()) {
      if (std::find(n.begin(), n.end(), c.base) == n.end()) n.push_back(c.base);
      if (std::find(n.begin(), n.end(), c.symbol) == n.end()) n.push_back(c.symbol);
    }
    return n;
  }();
  return names;
}

const std::vector<std::string_view>& errno_names() {
  static const std::vector<std::string> storage = [] {
    std::vector<std::string> n;
    for (int e = 1; e < 200; ++e) {
      std::string name = errno_name(e);
      if (!name.empty()) n.push_back(name);
    }
    n.push_back("EWOULDBLOCK");
    return n;
  }();
  static const std::vector<std::string_view> names(storage.begin(), storage.end());
  return names;
}

std::vector<std::string_view> kinds_of(const CallInfo& call) {
  std::vector<std::string_view> kinds;
  for (auto a : {FaultAction::error, FaultAction::short_transfer, FaultAction::eof,
                 FaultAction::delay, FaultAction::reset, FaultAction::corrupt, FaultAction::drop,
                 FaultAction::signal, FaultAction::spurious}) {
    if (call_allows(call, a)) kinds.push_back(to_string(a));
  }
  return kinds;
}

std::string with_hint(std::string_view message, std::string_view hint) {
  return fmt::format("{}\n{}", message, hint);
}

// signal= is crash-point injection: the signal must end the process (or, when the program
// handles it, interrupt it). A signal whose default action is to ignore it or to stop the
// process does neither: SIGCHLD would be "fired" while nothing happens, SIGSTOP would stall
// the program until the scenario's timeout. Empty when `sig` is fine, else why not.
std::string signal_problem(int sig) {
  switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
      return "is ignored by default: the process goes on as if nothing happened";
    case SIGCONT:
      return "only continues a stopped process: a running one goes on as if nothing happened";
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return "stops the process: it stalls there until the scenario's timeout kills it";
    default:
      return "";
  }
}

}  // namespace

std::string_view to_string(FaultAction a) {
  switch (a) {
    case FaultAction::error:
      return "error";
    case FaultAction::short_transfer:
      return "short";
    case FaultAction::eof:
      return "eof";
    case FaultAction::delay:
      return "delay";
    case FaultAction::reset:
      return "reset";
    case FaultAction::corrupt:
      return "corrupt";
    case FaultAction::drop:
      return "drop";
    case FaultAction::signal:
      return "signal";
    case FaultAction::spurious:
      return "spurious";
  }
  return "?";
}

std::vector<std::string_view> site_context(std::string_view site) {
  std::vector<std::string_view> frames;
  while (true) {
    auto lt = site.find('<');
    frames.push_back(site.substr(0, lt));
    if (lt == std::string_view::npos) break;
    site.remove_prefix(lt + 1);
  }
  return frames;
}

std::string site_context_problem(std::string_view site) {
  if (site.find('<') == std::string_view::npos) return "";
  const auto frames = site_context(site);
  const std::string form =
      "write site=INNER<CALLER[<...], innermost frame first (`<` reads \"called from\"), e.g. "
      "site=xwrite<send_body, each frame a FUNCTION, FILE:LINE or MODULE+0xOFFSET";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].empty())
      return with_hint(
          fmt::format("site={}: frame {} of the calling context is empty", site, i + 1), form);
  }
  if (frames.size() > kMaxContextFrames)
    return with_hint(fmt::format("site={}: a calling context of {} frames; at most {}", site,
                                 frames.size(), kMaxContextFrames),
                     "name the innermost frames only (`faultline explore --context K` takes K "
                     "up to " +
                         std::to_string(kMaxContextFrames) + ")");
  return "";
}

std::string FaultSpec::to_string() const {
  std::string out;
  if (!process.empty()) out += process + "/";
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (i > 0) out += ",";
    out += calls[i];
  }
  out += ":";
  out += faultline::to_string(action);
  switch (action) {
    case FaultAction::error:
      out += "=" + errno_name(error);
      break;
    case FaultAction::short_transfer:
      out += fmt::format("={}", short_bytes);
      break;
    case FaultAction::delay:
      out += "=" + format_duration(delay_min);
      if (delay_max != delay_min) out += ".." + format_duration(delay_max);
      break;
    case FaultAction::corrupt:
      if (corrupt_bits != 1) out += fmt::format("={}", corrupt_bits);
      break;
    case FaultAction::signal:
      out += "=" + signal_name(signal);
      break;
    default:
      break;
  }
  if (nth) out += fmt::format(":nth={}", *nth);
  if (after) out += fmt::format(":after={}", *after);
  if (every) out += fmt::format(":every={}", *every);
  if (probability) out += fmt::format(":probability={}", *probability);
  if (times) out += fmt::format(":times={}", *times);
  if (!channel.empty()) out += ":channel=" + channel;
  if (fd == FdClass::file) out += ":fd=file";
  if (fd == FdClass::anon) out += ":fd=anon";
  if (fd == FdClass::any) out += ":fd=any";
  if (!site.empty()) out += ":site=" + site;
  if (force) out += ":force";
  if (optional) out += ":optional";
  return out;
}

FaultSpecBuilder::FaultSpecBuilder(SourceLocation where) {
  spec_.where = where;
  action_at_ = where;
  error_at_ = where;
}

const std::vector<std::string_view>& FaultSpecBuilder::keys() {
  static const std::vector<std::string_view> k{
      "process",     "call",  "error",   "short",    "eof",  "delay", "reset",
      "corrupt",     "drop",  "signal",  "spurious", "nth",  "after", "every",
      "probability", "times", "channel", "fd",       "site", "force", "optional"};
  return k;
}

std::string FaultSpecBuilder::add_call(std::string_view call, std::optional<SourceLocation> at) {
  std::string name = trim(call);
  std::string problem;
  if (name.empty()) {
    problem = with_hint("empty call name",
                        "name a call, e.g. read or accept; "
                        "`faultline calls` lists them");
  } else if (resolve_call(name).empty()) {
    std::string suggestion = did_you_mean(name, call_names());
    if (name.find('=') != std::string::npos) {
      suggestion =
          "a spec starts with the call: [PROCESS/]CALL[,CALL...]:KEY=VALUE, e.g. "
          "read:eof:nth=2";
    }
    problem = with_hint(fmt::format("unknown call '{}'", name),
                        suggestion.empty() ? "`faultline calls` lists the calls that can be faulted"
                                           : suggestion + " (`faultline calls` lists them all)");
  }
  if (!problem.empty()) {
    pending_errors_.push_back(problem);
    return problem;
  }
  spec_.calls.push_back(name);
  calls_at_.push_back(at.value_or(spec_.where));
  return "";
}

std::string FaultSpecBuilder::set(std::string_view key, std::string_view value,
                                  std::optional<SourceLocation> at) {
  SourceLocation loc = at.value_or(spec_.where);
  auto fail = [&](std::string_view message, std::string_view hint) {
    std::string text = with_hint(message, hint);
    pending_errors_.push_back(text);
    return text;
  };
  const auto& known = keys();
  if (std::find(known.begin(), known.end(), key) == known.end()) {
    std::string suggestion = did_you_mean(key, known);
    return fail(fmt::format("unknown fault key '{}'", key),
                suggestion.empty() ? "the keys are: " + join_words(known) : suggestion);
  }
  if (key == "call") {
    std::string first_error;
    std::string_view rest = value;
    while (true) {
      auto comma = rest.find(',');
      std::string e = add_call(rest.substr(0, comma), at);
      if (first_error.empty()) first_error = e;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return first_error;
  }
  if (std::find(keys_seen_.begin(), keys_seen_.end(), key) != keys_seen_.end()) {
    return fail(fmt::format("'{}' is given twice", key), "keep only one of them");
  }
  keys_seen_.emplace_back(key);

  if (is_action_key(key)) {
    ++actions_;
    if (actions_ > 1) {
      return fail(fmt::format("a fault has exactly one action, but '{}' comes after '{}'", key,
                              faultline::to_string(spec_.action)),
                  "split them into two faults, one action each");
    }
    action_at_ = loc;
  }
  auto needs_value = [&](std::string_view example) {
    return fail(fmt::format("'{}' needs a value", key), fmt::format("write {}", example));
  };
  auto takes_no_value = [&]() {
    return fail(fmt::format("'{}' takes no value, got '{}'", key, value),
                fmt::format("write just '{}'", key));
  };

  if (key == "process") {
    if (!is_name(value)) {
      return fail(fmt::format("'{}' is not a process name", value),
                  "process names are letters, digits, '_' and '-', starting with a letter or '_'");
    }
    spec_.process = std::string(value);
  } else if (key == "error") {
    spec_.action = FaultAction::error;
    error_at_ = loc;
    if (value.empty()) return needs_value("error=ERRNO, e.g. error=ECONNRESET");
    std::optional<int> err = errno_from_name(value);
    if (!err) {
      if (auto n = parse_uint(value); n && *n > 0 && *n < 4096) err = static_cast<int>(*n);
    }
    if (!err) {
      std::string suggestion = did_you_mean(value, errno_names());
      return fail(fmt::format("unknown errno '{}'", value),
                  suggestion.empty() ? "use an errno name such as EINTR, EAGAIN or ECONNRESET"
                                     : suggestion);
    }
    spec_.error = *err;
  } else if (key == "short") {
    spec_.action = FaultAction::short_transfer;
    if (value.empty()) return needs_value("short=N (transfer at most N bytes)");
    auto n = parse_uint(value);
    if (!n || *n == 0) {
      return fail(fmt::format("short needs a byte count of at least 1, got '{}'", value),
                  "write short=N with N >= 1; to make a read return 0 use eof");
    }
    spec_.short_bytes = *n;
  } else if (key == "eof" || key == "reset" || key == "drop" || key == "spurious") {
    if (key == "eof") spec_.action = FaultAction::eof;
    if (key == "reset") spec_.action = FaultAction::reset;
    if (key == "drop") spec_.action = FaultAction::drop;
    if (key == "spurious") spec_.action = FaultAction::spurious;
    if (!is_flag_true(value)) return takes_no_value();
  } else if (key == "delay") {
    spec_.action = FaultAction::delay;
    if (value.empty())
      return needs_value("delay=DURATION or delay=MIN..MAX, e.g. delay=10ms..50ms");
    auto dots = value.find("..");
    auto lo = parse_duration(value.substr(0, dots));
    auto hi = dots == std::string_view::npos ? lo : parse_duration(value.substr(dots + 2));
    if (!lo || !hi) {
      return fail(fmt::format("'{}' is not a delay", value),
                  "write a duration with its unit (10ms, 1.5s; units ns, us, ms, s, m) or a "
                  "range MIN..MAX such as 10ms..50ms");
    }
    if (*lo > *hi) {
      return fail(fmt::format("delay range '{}' ends before it starts", value),
                  "write the smaller duration first: MIN..MAX");
    }
    spec_.delay_min = *lo;
    spec_.delay_max = *hi;
  } else if (key == "corrupt") {
    spec_.action = FaultAction::corrupt;
    if (is_flag_true(value)) {
      spec_.corrupt_bits = 1;
    } else {
      auto n = parse_uint(value);
      if (!n || *n == 0 || *n > 4096) {
        return fail(fmt::format("corrupt needs a number of bits from 1 to 4096, got '{}'", value),
                    "write corrupt (one bit) or corrupt=BITS");
      }
      spec_.corrupt_bits = static_cast<int>(*n);
    }
  } else if (key == "signal") {
    spec_.action = FaultAction::signal;
    if (value.empty()) return needs_value("signal=SIG, e.g. signal=SIGSEGV");
    auto sig = signal_from_name(value);
    if (!sig) {
      return fail(fmt::format("unknown signal '{}'", value),
                  "use a signal name such as SIGSEGV, SIGKILL, SIGABRT (or its number)");
    }
    spec_.signal = *sig;
  } else if (key == "nth" || key == "every" || key == "times" || key == "after") {
    bool zero_ok = key == "after";
    auto n = parse_uint(value);
    if (!n || (*n == 0 && !zero_ok)) {
      return fail(fmt::format("{} needs a whole number {}, got '{}'", key,
                              zero_ok ? ">= 0" : ">= 1", value),
                  key == "nth"     ? "nth=N fires on the N-th matching call, counting from 1"
                  : key == "every" ? "every=K fires on the K-th, 2K-th, ... call, K >= 1"
                  : key == "times" ? "times=M caps the fires at M, M >= 1"
                                   : "after=N fires on every call after the first N");
    }
    if (key == "nth") spec_.nth = n;
    if (key == "every") spec_.every = n;
    if (key == "times") spec_.times = n;
    if (key == "after") spec_.after = n;
  } else if (key == "probability") {
    auto p = parse_double(value);
    if (!p || !std::isfinite(*p) || *p <= 0.0 || *p > 1.0) {
      return fail(fmt::format("probability must be in (0, 1], got '{}'", value),
                  "write e.g. probability=0.3 for 30% of the matching calls");
    }
    spec_.probability = p;
  } else if (key == "channel") {
    if (!is_name(value)) {
      return fail(fmt::format("'{}' is not a channel name", value),
                  "write channel=NAME with a channel of the scenario");
    }
    spec_.channel = std::string(value);
  } else if (key == "fd") {
    if (value == "ipc") {
      spec_.fd = FdClass::ipc;
    } else if (value == "file") {
      spec_.fd = FdClass::file;
    } else if (value == "anon") {
      spec_.fd = FdClass::anon;
    } else if (value == "any") {
      spec_.fd = FdClass::any;
    } else {
      std::string suggestion = did_you_mean(value, {"ipc", "file", "anon", "any"});
      return fail(fmt::format("fd must be ipc, file, anon or any, got '{}'", value),
                  suggestion.empty()
                      ? "ipc (default): pipes, FIFOs, sockets, queues; file: regular files, "
                        "directories, devices; anon: eventfd, signalfd, timerfd, epoll, inotify, "
                        "pidfd; any: all of them"
                      : suggestion);
    }
  } else if (key == "site") {
    if (value.empty()) return needs_value("site=FUNCTION or site=FILE:LINE");
    if (std::string problem = site_context_problem(value); !problem.empty()) {
      pending_errors_.push_back(problem);
      return problem;
    }
    spec_.site = std::string(value);
  } else if (key == "force") {
    if (value == "false" || value == "no") {
      spec_.force = false;
    } else if (is_flag_true(value)) {
      spec_.force = true;
    } else {
      return takes_no_value();
    }
  } else if (key == "optional") {
    if (value == "false" || value == "no") {
      spec_.optional = false;
    } else if (is_flag_true(value)) {
      spec_.optional = true;
    } else {
      return takes_no_value();
    }
  }
  return "";
}

std::optional<FaultSpec> FaultSpecBuilder::build(Diagnostics& out) const {
  std::size_t before = out.size();
  if (spec_.calls.empty() && pending_errors_.empty()) {
    out.push_back(make_diagnostic(spec_.where,
                                  "the fault names no call\nadd the call to fault, e.g. "
                                  "call: read (or read:... on the command line)"));
  }
  if (actions_ == 0) {
    out.push_back(make_diagnostic(spec_.where, with_hint("the fault has no action", kActionHint)));
  }
  if (actions_ == 1 && spec_.action == FaultAction::signal && !spec_.force) {
    if (std::string why = signal_problem(spec_.signal); !why.empty()) {
      out.push_back(make_diagnostic(
          action_at_,
          with_hint(fmt::format("signal={} {}", signal_name(spec_.signal), why),
                    "signal= injects a crash: use a signal whose default action ends the "
                    "process — SIGKILL, SIGSEGV, SIGABRT, SIGBUS, SIGTERM, SIGINT, SIGHUP, "
                    "SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, ... (every signal but SIGCHLD, SIGURG, "
                    "SIGWINCH, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU); add force to "
                    "send it anyway")));
    }
  }
  if (actions_ == 1) {
    for (std::size_t i = 0; i < spec_.calls.size(); ++i) {
      const std::string& name = spec_.calls[i];
      auto infos = resolve_call(name);
      bool kind_ok = std::all_of(infos.begin(), infos.end(),
                                 [&](const CallInfo* c) { return call_allows(*c, spec_.action); });
      if (!kind_ok) {
        // The spellings of one call share their kinds; list the first one's.
        const CallInfo& first = *infos.front();
        out.push_back(make_diagnostic(
            action_at_,
            with_hint(fmt::format("{} cannot be faulted with '{}'; it accepts: {}", name,
                                  to_string(spec_.action), join_words(kinds_of(first))),
                      "use one of those kinds, or fault a call where this kind makes sense")));
        continue;
      }
      if (spec_.action != FaultAction::error || spec_.error == 0 || spec_.force) continue;
      for (const CallInfo* c : infos) {
        if (call_allows_errno(*c, spec_.error)) continue;
        out.push_back(make_diagnostic(
            error_at_,
            with_hint(fmt::format("{} never fails with {}; per its man page it can "
                                  "return: {}",
                                  name, errno_name(spec_.error), join_words(c->errnos, " ")),
                      "use one of those, or add force to inject it anyway")));
        break;
      }
    }
  }
  if (out.size() != before || !pending_errors_.empty()) return std::nullopt;
  return spec_;
}

std::optional<FaultSpec> parse_fault_spec(std::string_view text, Diagnostics& out) {
  std::size_t before = out.size();
  auto at = [](std::size_t offset) {
    return SourceLocation{"--fault", 1, static_cast<int>(offset) + 1};
  };
  FaultSpecBuilder builder(at(0));
  auto report = [&](std::size_t offset, const std::string& problem) {
    if (!problem.empty()) out.push_back(make_diagnostic(at(offset), problem));
  };

  std::size_t head_end = std::min(text.find(':'), text.size());
  std::string_view head = text.substr(0, head_end);
  std::size_t calls_start = 0;
  if (auto slash = head.find('/'); slash != std::string_view::npos) {
    report(0, builder.set("process", head.substr(0, slash), at(0)));
    calls_start = slash + 1;
  }
  if (calls_start >= head_end) {
    // Recorded in the builder too, so build() neither succeeds nor repeats the problem.
    (void)builder.add_call("", at(calls_start));
    report(calls_start,
           "the fault names no call\nwrite [PROCESS/]CALL[,CALL...](:KEY[=VALUE])*, "
           "e.g. server/accept:error=EMFILE:nth=1");
  } else {
    std::size_t pos = calls_start;
    while (pos <= head_end) {
      std::size_t comma = std::min(text.find(',', pos), head_end);
      report(pos, builder.add_call(text.substr(pos, comma - pos), at(pos)));
      pos = comma + 1;
    }
  }

  // Fields after the calls; `site=FILE:LINE` keeps the `:LINE` that follows it.
  std::size_t pos = head_end;
  while (pos < text.size()) {
    std::size_t start = pos + 1;
    std::size_t end = std::min(text.find(':', start), text.size());
    std::string_view field = text.substr(start, end - start);
    auto eq = field.find('=');
    std::string_view key = field.substr(0, eq);
    std::string value = eq == std::string_view::npos ? "" : std::string(field.substr(eq + 1));
    if (key == "site") {
      while (end < text.size()) {
        std::size_t next = std::min(text.find(':', end + 1), text.size());
        std::string_view piece = text.substr(end + 1, next - end - 1);
        // A calling context's FILE:LINE frame ends at its `<`: "a.c:12<b.c".
        std::string_view line = piece.substr(0, piece.find('<'));
        bool digits = !line.empty() && std::all_of(line.begin(), line.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) break;
        value += ":" + std::string(piece);
        end = next;
      }
    }
    if (field.empty()) {
      report(start, "empty field between ':'\nremove the extra ':'");
    } else {
      const auto& known = FaultSpecBuilder::keys();
      bool key_known = std::find(known.begin(), known.end(), key) != known.end();
      // A bad value is reported at the value; what build() finds later (a kind or errno the
      // call does not accept) at the key that asked for it.
      std::size_t value_at = (key_known && eq != std::string_view::npos) ? start + eq + 1 : start;
      std::string problem = builder.set(key, value, at(start));
      report(value_at, problem);
    }
    pos = end;
  }

  auto spec = builder.build(out);
  if (out.size() != before) return std::nullopt;
  return spec;
}

}  // namespace faultline
