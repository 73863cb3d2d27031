// to_trace() and write_trace(); see trace.h. Format: "Trace Event Format" (Google, the
// document chrome://tracing and Perfetto's JSON importer follow): every event has ph, ts (µs),
// pid, tid and name; "X" slices a dur; "i" instants a scope s; "M" metadata names the tracks.
#include "report/trace.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "faultline/fault_spec.h"
#include "util/signal_names.h"

namespace faultline {
namespace {

// Microseconds, rounded to the nanosecond: the clock's resolution, and no binary-fraction
// noise such as 23.924999999999976 in the file.
double us(double ms) { return std::round(ms * 1e6) / 1000.0; }
double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

nlohmann::json or_null(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

// How a process ended, as its end instant is named.
std::string ending(const ProcessResult& p) {
  if (p.killed_at_timeout) return "killed at timeout";
  if (p.stopped_by_runner)
    return p.killed_after_grace ? "stopped by the runner (SIGKILL after the grace)"
                                : "stopped by the runner";
  if (p.term_signal != 0) return "killed by " + signal_name(p.term_signal);
  if (p.exit_code) return fmt::format("exit {}", *p.exit_code);
  return "ended";
}

// The fault kind of a rule's canonical text ("error", "short", "delay", ...); "" when the
// text is not a rule (an event of a rule the result does not list).
std::string kind_of(const std::string& spec) {
  if (spec.empty()) return "";
  Diagnostics ignored;
  auto parsed = parse_fault_spec(spec, ignored);
  return parsed ? std::string(to_string(parsed->action)) : "";
}

// Collects the events of every scenario; the metadata stays in front, the rest is sorted by
// time when the trace is finished.
class TraceBuilder final {
 public:
  // Scenario k is trace process k (1-based); tids start above the last of them.
  explicit TraceBuilder(std::size_t scenarios) : next_tid_(static_cast<int>(scenarios) + 1) {}
  void add(const ScenarioResult& r, int pid, double offset_ms);
  nlohmann::json finish();

 private:
  struct Timed {
    double ts = 0;
    double dur = -1;  // -1: an instant
    nlohmann::json event;
  };
  int track(int pid, const std::string& name, int sort_index);
  void metadata(int pid, int tid, const char* name, nlohmann::json args);
  void slice(int pid, int tid, const char* cat, std::string name, double ts_ms, double end_ms,
             nlohmann::json args);
  void instant(int pid, int tid, const char* cat, std::string name, double ts_ms,
               nlohmann::json args);
  Timed event(const char* ph, int pid, int tid, const char* cat, std::string name, double ts_ms,
              nlohmann::json& args);

  std::vector<nlohmann::json> metadata_;
  std::vector<Timed> timed_;
  double offset_ms_ = 0;  // of the scenario being added
  // Thread ids are the trace's own, unique over the whole trace (Perfetto keys threads by
  // tid) and never equal to a trace pid (it would read as that process's main thread).
  int next_tid_;
};

int TraceBuilder::track(int pid, const std::string& name, int sort_index) {
  const int tid = next_tid_++;
  metadata(pid, tid, "thread_name", {{"name", name}});
  metadata(pid, tid, "thread_sort_index", {{"sort_index", sort_index}});
  return tid;
}

void TraceBuilder::metadata(int pid, int tid, const char* name, nlohmann::json args) {
  metadata_.push_back(
      {{"ph", "M"}, {"ts", 0}, {"pid", pid}, {"tid", tid}, {"name", name}, {"args", args}});
}

void TraceBuilder::slice(int pid, int tid, const char* cat, std::string name, double ts_ms,
                         double end_ms, nlohmann::json args) {
  Timed& t = timed_.emplace_back(event("X", pid, tid, cat, std::move(name), ts_ms, args));
  t.dur = us(std::max(0.0, end_ms - ts_ms));
  t.event["dur"] = t.dur;
}

void TraceBuilder::instant(int pid, int tid, const char* cat, std::string name, double ts_ms,
                           nlohmann::json args) {
  Timed& t = timed_.emplace_back(event("i", pid, tid, cat, std::move(name), ts_ms, args));
  t.event["s"] = "t";
}

// Member by member, not from an initializer list (which copies every value once more): a
// run can inject thousands of faults.
TraceBuilder::Timed TraceBuilder::event(const char* ph, int pid, int tid, const char* cat,
                                        std::string name, double ts_ms, nlohmann::json& args) {
  Timed t;
  t.ts = us(offset_ms_ + ts_ms);
  t.event = nlohmann::json::object();
  t.event["ph"] = ph;
  t.event["ts"] = t.ts;
  t.event["pid"] = pid;
  t.event["tid"] = tid;
  t.event["cat"] = cat;
  t.event["name"] = std::move(name);
  t.event["args"] = std::move(args);
  return t;
}

void TraceBuilder::add(const ScenarioResult& r, int pid, double offset_ms) {
  offset_ms_ = offset_ms;
  const char* outcome = r.passed ? "pass" : r.setup_failed() ? "setup" : "fail";
  const double end_of_run = ms(r.duration);
  metadata(pid, pid, "process_name", {{"name", r.scenario}});
  metadata(pid, pid, "process_sort_index", {{"sort_index", pid}});
  metadata(pid, pid, "process_labels",
           {{"labels", fmt::format("{}, {}", outcome, r.file.string())}});

  // The runner's own track: the scenario as a whole, its channels, what is scenario-wide.
  const int runner = track(pid, "runner", 0);
  slice(pid, runner, "scenario", "scenario " + r.scenario, 0, end_of_run,
        {{"file", r.file.string()},
         {"outcome", outcome},
         {"seed", r.seed},
         {"timed_out", r.timed_out},
         {"timeout_ms",
          r.timeout > Duration::zero() ? nlohmann::json(ms(r.timeout)) : nlohmann::json(nullptr)}});
  for (const auto& c : r.channels)
    slice(pid, runner, "channel", fmt::format("provision {} ({})", c.name, c.type), c.start_ms,
          c.end_ms, {{"channel", c.name}, {"type", c.type}});
  const double timeout_ms = ms(r.timeout);
  if (r.timed_out)
    instant(pid, runner, "timeout", "timeout", timeout_ms, {{"timeout_ms", timeout_ms}});

  std::map<std::string, int> tid_of;  // scenario process name -> its track
  for (std::size_t i = 0; i < r.processes.size(); ++i) {
    const ProcessResult& p = r.processes[i];
    const int tid = track(pid, p.pid > 0 ? fmt::format("{} (pid {})", p.name, p.pid) : p.name,
                          static_cast<int>(i) + 1);
    tid_of.emplace(p.name, tid);
    if (!p.started || !p.start_ms) {
      instant(pid, tid, "process", "not started", end_of_run, {{"reason", p.not_started_reason}});
      continue;
    }
    const std::string end = ending(p);
    nlohmann::json how = {
        {"pid", p.pid},
        {"lifetime", p.service ? "service" : "task"},
        {"exit_code", p.exit_code ? nlohmann::json(*p.exit_code) : nlohmann::json(nullptr)},
        {"signal",
         p.term_signal ? nlohmann::json(signal_name(p.term_signal)) : nlohmann::json(nullptr)},
        {"stopped_by_runner", p.stopped_by_runner},
        {"killed_at_timeout", p.killed_at_timeout},
        {"killed_after_grace", p.killed_after_grace}};
    // A process the result has no end for was still being ended when the run stopped.
    slice(pid, tid, "process", p.name, *p.start_ms, p.end_ms.value_or(end_of_run),
          {{"pid", p.pid}, {"lifetime", p.service ? "service" : "task"}, {"outcome", end}});
    if (p.ready_ms) instant(pid, tid, "process", "ready", *p.ready_ms, {{"pid", p.pid}});
    if (p.end_ms) instant(pid, tid, "process", end, *p.end_ms, std::move(how));
    for (const auto& s : p.at_timeout)
      instant(pid, tid, "snapshot", s.syscall.empty() ? "at timeout" : "at timeout: " + s.syscall,
              r.timeout > Duration::zero() ? timeout_ms : p.end_ms.value_or(end_of_run),
              {{"pid", s.pid},
               {"command", s.command},
               {"state", s.state},
               {"syscall", s.syscall},
               {"wchan", s.wchan},
               {"backtrace", s.backtrace}});
  }
  auto track_of = [&](const std::string& process) {
    auto it = tid_of.find(process);
    return it != tid_of.end() ? it->second : runner;
  };

  std::map<std::string, std::string> kinds;  // rule text -> its kind, parsed once
  for (const auto& e : r.events) {
    auto [k, fresh] = kinds.try_emplace(e.fault);
    if (fresh) k->second = kind_of(e.fault);
    const std::string& kind = k->second;
    nlohmann::json args = nlohmann::json::object();
    args["seq"] = e.seq;
    args["call"] = e.call;
    args["errno"] = or_null(e.error);
    args["kind"] = or_null(kind);
    args["result"] = e.result;
    args["bytes"] = e.bytes;
    args["fd"] = e.fd < 0 ? nlohmann::json(nullptr) : nlohmann::json(e.fd);
    args["channel"] = or_null(e.channel);
    // The result holds the caller's return address; where it lies in the program is for
    // `faultline explore` (and gdb) to say.
    args["site"] =
        e.caller != 0 ? nlohmann::json(fmt::format("{:#x}", e.caller)) : nlohmann::json(nullptr);
    args["rule"] = or_null(e.fault);
    args["pid"] = e.pid;
    args["tid"] = e.tid;
    args["time_ms"] = e.time_ms;
    if (!e.unrealistic.empty()) args["unrealistic"] = e.unrealistic;
    instant(pid, track_of(e.process), "fault",
            fmt::format("{} {}", e.call, !e.error.empty() ? e.error : kind), e.time_ms,
            std::move(args));
  }
  for (const auto& v : r.violations)
    instant(pid, v.process.empty() ? runner : track_of(v.process), "violation",
            "violation: " + v.kind, v.time_ms >= 0 ? v.time_ms : end_of_run,
            {{"kind", v.kind}, {"process", v.process}, {"message", v.message}});
}

nlohmann::json TraceBuilder::finish() {
  // By time; at one time a slice before what it holds (the longer first), instants last.
  std::stable_sort(timed_.begin(), timed_.end(), [](const Timed& a, const Timed& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.dur > b.dur;
  });
  nlohmann::json events = nlohmann::json::array();
  auto& list = events.get_ref<nlohmann::json::array_t&>();
  list.reserve(metadata_.size() + timed_.size());
  for (auto& m : metadata_) list.push_back(std::move(m));
  for (auto& t : timed_) list.push_back(std::move(t.event));
  return {{"traceEvents", std::move(events)},
          {"displayTimeUnit", "ms"},
          {"otherData", {{"generator", "faultline"}}}};
}

}  // namespace

nlohmann::json to_trace(const std::vector<ScenarioResult>& results) {
  // Where each scenario starts on the timeline: its wall-clock start relative to the first
  // one's; one after the other when a result does not say (an older faultline's).
  const bool all_known = std::all_of(results.begin(), results.end(),
                                     [](const ScenarioResult& r) { return r.started_unix_ms > 0; });
  double origin = 0;
  if (all_known && !results.empty())
    origin = std::min_element(results.begin(), results.end(), [](const auto& a, const auto& b) {
               return a.started_unix_ms < b.started_unix_ms;
             })->started_unix_ms;
  TraceBuilder trace(results.size());
  double next_ms = 0;
  for (std::size_t k = 0; k < results.size(); ++k) {
    const ScenarioResult& r = results[k];
    const double offset = all_known ? r.started_unix_ms - origin : next_ms;
    next_ms += ms(r.duration);
    trace.add(r, static_cast<int>(k) + 1, offset);
  }
  return trace.finish();
}

void write_trace(const std::filesystem::path& file, const std::vector<ScenarioResult>& results) {
  std::ofstream out(file);
  // Program output and snapshots are raw bytes: what is no UTF-8 becomes U+FFFD.
  out << to_trace(results).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace faultline
