// Fault specs: one builder for the YAML and the `--fault` front ends, the `--fault` grammar
// and the canonical text form; see faultline/fault_spec.h.
#include "faultline/fault_spec.h"

#include <fmt/format.h>

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <optional>
#include <utility>

#include "faults/call_table.h"
#include "util/did_you_mean.h"
#include "util/join_words.h"
#include "util/signal_names.h"

namespace faultline {
namespace {

constexpr std::string_view kActionHint =
    "give exactly one of: error=ERRNO, short=N, eof, delay=DURATION or MIN..MAX, reset, "
    "corrupt[=BITS], drop, signal=SIG, spurious";

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

// One key=value being applied to a spec: what a key's rule reads and writes.
struct KeySetting {
  FaultSpec& spec;
  SourceLocation& error_at;
  std::vector<std::string>& pending_errors;
  std::string_view key;
  std::string_view value;
  SourceLocation loc;

  // Records the problem (build() reports it) and returns it.
  std::string fail(std::string_view message, std::string_view hint) const {
    std::string text = with_hint(message, hint);
    pending_errors.push_back(text);
    return text;
  }
  std::string needs_value(std::string_view example) const {
    return fail(fmt::format("'{}' needs a value", key), fmt::format("write {}", example));
  }
  std::string takes_no_value() const {
    return fail(fmt::format("'{}' takes no value, got '{}'", key, value),
                fmt::format("write just '{}'", key));
  }
};

// What set() does with a key: the action it selects (for an action key) and how it reads the
// value. Returns "" or the problem.
struct KeyRule {
  std::string_view key;
  std::optional<FaultAction> action;
  std::function<std::string(KeySetting&)> apply;
};

// eof, reset, drop, spurious: a flag, no value.
std::string flag_only(KeySetting& s) { return is_flag_true(s.value) ? "" : s.takes_no_value(); }

// force and optional: a flag that may also be written false/no.
std::function<std::string(KeySetting&)> boolean_into(bool FaultSpec::*field) {
  return [field](KeySetting& s) -> std::string {
    if (s.value == "false" || s.value == "no") {
      s.spec.*field = false;
    } else if (is_flag_true(s.value)) {
      s.spec.*field = true;
    } else {
      return s.takes_no_value();
    }
    return "";
  };
}

// nth, every, times, after: a whole number (>= 1, or >= 0 for after) and what it means.
std::function<std::string(KeySetting&)> count_into(std::optional<std::uint64_t> FaultSpec::*field,
                                                   bool zero_ok, std::string_view meaning) {
  return [field, zero_ok, meaning](KeySetting& s) -> std::string {
    auto n = parse_uint(s.value);
    if (!n || (*n == 0 && !zero_ok)) {
      return s.fail(fmt::format("{} needs a whole number {}, got '{}'", s.key,
                                zero_ok ? ">= 0" : ">= 1", s.value),
                    meaning);
    }
    s.spec.*field = n;
    return "";
  };
}

// Every key set() accepts, in the order `faultline` lists them; `call` is applied by set()
// itself (it may be repeated and holds several calls).
const std::vector<KeyRule>& key_rules() {
  static const std::vector<KeyRule> rules{
      {"process", std::nullopt,
       [](KeySetting& s) -> std::string {
         if (!is_name(s.value)) {
           return s.fail(
               fmt::format("'{}' is not a process name", s.value),
               "process names are letters, digits, '_' and '-', starting with a letter or '_'");
         }
         s.spec.process = std::string(s.value);
         return "";
       }},
      {"call", std::nullopt, nullptr},
      {"error", FaultAction::error,
       [](KeySetting& s) -> std::string {
         s.error_at = s.loc;
         if (s.value.empty()) return s.needs_value("error=ERRNO, e.g. error=ECONNRESET");
         std::optional<int> err = errno_from_name(s.value);
         if (!err) {
           if (auto n = parse_uint(s.value); n && *n > 0 && *n < 4096) err = static_cast<int>(*n);
         }
         if (!err) {
           std::string suggestion = did_you_mean(s.value, errno_names());
           return s.fail(fmt::format("unknown errno '{}'", s.value),
                         suggestion.empty()
                             ? "use an errno name such as EINTR, EAGAIN or ECONNRESET"
                             : suggestion);
         }
         s.spec.error = *err;
         return "";
       }},
      {"short", FaultAction::short_transfer,
       [](KeySetting& s) -> std::string {
         if (s.value.empty()) return s.needs_value("short=N (transfer at most N bytes)");
         auto n = parse_uint(s.value);
         if (!n || *n == 0) {
           return s.fail(fmt::format("short needs a byte count of at least 1, got '{}'", s.value),
                         "write short=N with N >= 1; to make a read return 0 use eof");
         }
         s.spec.short_bytes = *n;
         return "";
       }},
      {"eof", FaultAction::eof, flag_only},
      {"delay", FaultAction::delay,
       [](KeySetting& s) -> std::string {
         if (s.value.empty())
           return s.needs_value("delay=DURATION or delay=MIN..MAX, e.g. delay=10ms..50ms");
         auto dots = s.value.find("..");
         auto lo = parse_duration(s.value.substr(0, dots));
         auto hi = dots == std::string_view::npos ? lo : parse_duration(s.value.substr(dots + 2));
         if (!lo || !hi) {
           return s.fail(fmt::format("'{}' is not a delay", s.value),
                         "write a duration with its unit (10ms, 1.5s; units ns, us, ms, s, m) or "
                         "a range MIN..MAX such as 10ms..50ms");
         }
         if (*lo > *hi) {
           return s.fail(fmt::format("delay range '{}' ends before it starts", s.value),
                         "write the smaller duration first: MIN..MAX");
         }
         s.spec.delay_min = *lo;
         s.spec.delay_max = *hi;
         return "";
       }},
      {"reset", FaultAction::reset, flag_only},
      {"corrupt", FaultAction::corrupt,
       [](KeySetting& s) -> std::string {
         if (is_flag_true(s.value)) {
           s.spec.corrupt_bits = 1;
           return "";
         }
         auto n = parse_uint(s.value);
         if (!n || *n == 0 || *n > 4096) {
           return s.fail(
               fmt::format("corrupt needs a number of bits from 1 to 4096, got '{}'", s.value),
               "write corrupt (one bit) or corrupt=BITS");
         }
         s.spec.corrupt_bits = static_cast<int>(*n);
         return "";
       }},
      {"drop", FaultAction::drop, flag_only},
      {"signal", FaultAction::signal,
       [](KeySetting& s) -> std::string {
         if (s.value.empty()) return s.needs_value("signal=SIG, e.g. signal=SIGSEGV");
         auto sig = signal_from_name(s.value);
         if (!sig) {
           return s.fail(fmt::format("unknown signal '{}'", s.value),
                         "use a signal name such as SIGSEGV, SIGKILL, SIGABRT (or its number)");
         }
         s.spec.signal = *sig;
         return "";
       }},
      {"spurious", FaultAction::spurious, flag_only},
      {"nth", std::nullopt,
       count_into(&FaultSpec::nth, false,
                  "nth=N fires on the N-th matching call, counting from 1")},
      {"after", std::nullopt,
       count_into(&FaultSpec::after, true, "after=N fires on every call after the first N")},
      {"every", std::nullopt,
       count_into(&FaultSpec::every, false, "every=K fires on the K-th, 2K-th, ... call, K >= 1")},
      {"probability", std::nullopt,
       [](KeySetting& s) -> std::string {
         auto p = parse_double(s.value);
         if (!p || !std::isfinite(*p) || *p <= 0.0 || *p > 1.0) {
           return s.fail(fmt::format("probability must be in (0, 1], got '{}'", s.value),
                         "write e.g. probability=0.3 for 30% of the matching calls");
         }
         s.spec.probability = p;
         return "";
       }},
      {"times", std::nullopt,
       count_into(&FaultSpec::times, false, "times=M caps the fires at M, M >= 1")},
      {"channel", std::nullopt,
       [](KeySetting& s) -> std::string {
         if (!is_name(s.value)) {
           return s.fail(fmt::format("'{}' is not a channel name", s.value),
                         "write channel=NAME with a channel of the scenario");
         }
         s.spec.channel = std::string(s.value);
         return "";
       }},
      {"fd", std::nullopt,
       [](KeySetting& s) -> std::string {
         static const std::pair<std::string_view, FdClass> kClasses[] = {{"ipc", FdClass::ipc},
                                                                         {"file", FdClass::file},
                                                                         {"anon", FdClass::anon},
                                                                         {"any", FdClass::any}};
         for (const auto& [name, fd_class] : kClasses) {
           if (s.value == name) {
             s.spec.fd = fd_class;
             return "";
           }
         }
         std::string suggestion = did_you_mean(s.value, {"ipc", "file", "anon", "any"});
         return s.fail(fmt::format("fd must be ipc, file, anon or any, got '{}'", s.value),
                       suggestion.empty()
                           ? "ipc (default): pipes, FIFOs, sockets, queues; file: regular files, "
                             "directories, devices; anon: eventfd, signalfd, timerfd, epoll, "
                             "inotify, pidfd; any: all of them"
                           : suggestion);
       }},
      {"site", std::nullopt,
       [](KeySetting& s) -> std::string {
         if (s.value.empty()) return s.needs_value("site=FUNCTION or site=FILE:LINE");
         if (std::string problem = site_context_problem(s.value); !problem.empty()) {
           s.pending_errors.push_back(problem);
           return problem;
         }
         s.spec.site = std::string(s.value);
         return "";
       }},
      {"force", std::nullopt, boolean_into(&FaultSpec::force)},
      {"optional", std::nullopt, boolean_into(&FaultSpec::optional)},
  };
  return rules;
}

const KeyRule* find_key_rule(std::string_view key) {
  const auto& rules = key_rules();
  auto it =
      std::find_if(rules.begin(), rules.end(), [&](const KeyRule& r) { return r.key == key; });
  return it == rules.end() ? nullptr : &*it;
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
  static const std::vector<std::string_view> k = [] {
    std::vector<std::string_view> names;
    for (const KeyRule& rule : key_rules()) names.push_back(rule.key);
    return names;
  }();
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
  KeySetting setting{spec_, error_at_, pending_errors_, key, value, loc};
  const KeyRule* rule = find_key_rule(key);
  if (rule == nullptr) {
    const auto& known = keys();
    std::string suggestion = did_you_mean(key, known);
    return setting.fail(fmt::format("unknown fault key '{}'", key),
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
    return setting.fail(fmt::format("'{}' is given twice", key), "keep only one of them");
  }
  keys_seen_.emplace_back(key);

  if (rule->action) {
    ++actions_;
    if (actions_ > 1) {
      return setting.fail(fmt::format("a fault has exactly one action, but '{}' comes after '{}'",
                                      key, faultline::to_string(spec_.action)),
                          "split them into two faults, one action each");
    }
    action_at_ = loc;
    spec_.action = *rule->action;
  }
  return rule->apply(setting);
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
