// JSON result; see json.h.
#include "report/json.h"

#include <charconv>
#include <fstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "report/repetitions.h"
#include "util/json_numbers.h"
#include "util/signal_names.h"

namespace faultline {
namespace {

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// RunTimings' phases by their names in the JSON (and in `run --timings`), in run order.
constexpr std::pair<const char*, Duration RunTimings::*> kPhases[] = {
    {"provision", &RunTimings::provision}, {"control_block", &RunTimings::control},
    {"spawn", &RunTimings::spawn},         {"readiness", &RunTimings::readiness},
    {"run", &RunTimings::supervise},       {"reap", &RunTimings::reap},
    {"verdict", &RunTimings::verdict},     {"cleanup", &RunTimings::cleanup}};

nlohmann::json snapshot_json(const ProcessSnapshot& s) {
  return {{"pid", s.pid},         {"command", s.command}, {"state", s.state},
          {"syscall", s.syscall}, {"wchan", s.wchan},     {"backtrace", s.backtrace}};
}

}  // namespace

nlohmann::json to_json(const ScenarioResult& r) {
  nlohmann::json j;
  j["scenario"] = r.scenario;
  j["file"] = r.file.string();
  j["passed"] = r.passed;
  // pass, fail (a verdict on the program) or setup (it could not be run: no verdict).
  j["outcome"] = r.passed ? "pass" : r.setup_failed() ? "setup" : "fail";
  j["setup_limit"] = r.setup_limit;
  j["seed"] = r.seed;
  j["command_faults"] = r.command_faults;
  j["without_faults"] = r.without_faults;
  if (r.repetitions > 0) {
    j["repetition"] = r.repetition;
    j["repetitions"] = r.repetitions;
  }
  j["duration_ms"] = ms(r.duration);
  // Zero: no timeout (`faultline exec` without --timeout).
  j["timeout_ms"] =
      r.timeout > Duration::zero() ? nlohmann::json(ms(r.timeout)) : nlohmann::json(nullptr);
  j["timed_out"] = r.timed_out;
  j["interrupted"] = r.interrupted_by != 0;
  j["interrupted_by"] = r.interrupted_by != 0 ? nlohmann::json(signal_name(r.interrupted_by))
                                              : nlohmann::json(nullptr);
  j["started_unix_ms"] =
      r.started_unix_ms > 0 ? nlohmann::json(r.started_unix_ms) : nlohmann::json(nullptr);
  auto& timings = j["timings_ms"] = nlohmann::json::object();
  for (const auto& [name, phase] : kPhases) timings[name] = ms(r.timings.*phase);
  auto& channels = j["channels"] = nlohmann::json::array();
  for (const auto& c : r.channels)
    channels.push_back(
        {{"name", c.name}, {"type", c.type}, {"start_ms", c.start_ms}, {"end_ms", c.end_ms}});
  auto& procs = j["processes"] = nlohmann::json::array();
  for (const auto& p : r.processes) {
    nlohmann::json pj = {{"name", p.name},
                         {"pid", p.pid},
                         {"started", p.started},
                         {"lifetime", p.service ? "service" : "task"},
                         {"exit_code", nullptr},
                         {"signal", nullptr},
                         {"duration_ms", ms(p.duration)},
                         {"stopped_by_runner", p.stopped_by_runner},
                         {"killed_at_timeout", p.killed_at_timeout},
                         {"killed_after_grace", p.killed_after_grace},
                         {"stdout", p.stdout_text},
                         {"stderr", p.stderr_text}};
    if (p.exit_code) pj["exit_code"] = *p.exit_code;
    auto since_start = [](const std::optional<double>& t) {
      return t ? nlohmann::json(*t) : nlohmann::json(nullptr);
    };
    pj["start_ms"] = since_start(p.start_ms);
    pj["ready_ms"] = since_start(p.ready_ms);
    pj["end_ms"] = since_start(p.end_ms);
    if (p.peer_intact) {
      pj["peer"] = {{"intact", *p.peer_intact}, {"report", p.peer_report}};
    }
    if (p.term_signal) pj["signal"] = signal_name(p.term_signal);
    if (!p.started) pj["not_started_reason"] = p.not_started_reason;
    if (!p.blind_spots.empty()) {
      auto& spots = pj["blind_spots"] = nlohmann::json::array();
      for (const auto& b : p.blind_spots)
        spots.push_back(
            {{"kind", b.kind}, {"pid", b.pid}, {"message", b.message}, {"escaped", b.escaped}});
    }
    if (!p.at_timeout.empty()) {
      auto& snaps = pj["at_timeout"] = nlohmann::json::array();
      for (const auto& s : p.at_timeout) snaps.push_back(snapshot_json(s));
    }
    procs.push_back(std::move(pj));
  }
  auto& faults = j["faults"] = nlohmann::json::array();
  for (const auto& f : r.faults)
    faults.push_back(
        {{"spec", f.spec},
         {"hits", f.hits},
         {"fired", f.fired},
         {"refused", f.refused},
         {"refused_why", f.refused_why},
         {"unrealistic", f.unrealistic},
         {"unrealistic_why", f.unrealistic_why},
         {"optional", f.optional},
         {"missed", f.missed.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.missed)}});
  // Member by member, not from an initializer list (which copies every value once more): a
  // run can hold thousands of events, and `run -j` serializes each result.
  auto& events = j["events"] = nlohmann::json::array();
  events.get_ref<nlohmann::json::array_t&>().reserve(r.events.size());
  for (const auto& e : r.events) {
    nlohmann::json& ej = events.emplace_back(nlohmann::json::object());
    ej["seq"] = e.seq;
    ej["time_ms"] = e.time_ms;
    ej["pid"] = e.pid;
    ej["tid"] = e.tid;
    ej["process"] = e.process;
    ej["call"] = e.call;
    ej["rule"] = e.rule;
    ej["fault"] = e.fault;
    ej["result"] = e.result;
    ej["errno"] = e.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.error);
    ej["bytes"] = e.bytes;
    ej["fd"] = e.fd < 0 ? nlohmann::json(nullptr) : nlohmann::json(e.fd);
    ej["channel"] = e.channel.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.channel);
    ej["unrealistic"] =
        e.unrealistic.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.unrealistic);
    ej["caller"] = fmt::format("{:#x}", e.caller);
  }
  j["events_lost"] = r.events_lost;
  auto& violations = j["violations"] = nlohmann::json::array();
  for (const auto& v : r.violations)
    violations.push_back(
        {{"kind", v.kind},
         {"process", v.process},
         {"message", v.message},
         {"time_ms", v.time_ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(v.time_ms)}});
  j["notes"] = r.notes;
  auto& leaks = j["leaks"] = nlohmann::json::array();
  for (const auto& l : r.leaks)
    leaks.push_back({{"process", l.process},
                     {"pid", l.pid},
                     {"call", l.call},
                     {"object", l.object},
                     {"removed", l.removed}});
  return j;
}

namespace {

// An event's "caller", as to_json writes it ("0x" and hexadecimal digits). Anything else is
// the document's fault: a json exception, as for every other field of the wrong shape (the
// readers' callers catch that one), never std::stoull's invalid_argument.
std::uint64_t caller_from_json(const nlohmann::json& j) {
  const std::string text = j.get<std::string>();
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    throw nlohmann::json::other_error::create(
        501, fmt::format("\"caller\" is not a hexadecimal address: \"{:.40}\"", text), &j);
  }
  return value;
}

}  // namespace

ScenarioResult scenario_from_json(const nlohmann::json& j) {
  if (auto bad = json_float_out_of_range(j); !bad.empty())
    throw nlohmann::json::other_error::create(
        502, fmt::format("a number out of range: {:.40}", bad), &j);
  auto duration = [](const nlohmann::json& v) {
    return v.is_number() ? std::chrono::duration_cast<Duration>(
                               std::chrono::duration<double, std::milli>(v.get<double>()))
                         : Duration::zero();
  };
  auto signal = [](const nlohmann::json& v) {
    return v.is_string() ? signal_from_name(v.get<std::string>()).value_or(0) : 0;
  };
  ScenarioResult r;
  r.scenario = j.at("scenario").get<std::string>();
  r.file = j.at("file").get<std::string>();
  r.passed = j.at("passed").get<bool>();
  r.setup_limit = j.value("setup_limit", false);
  r.seed = j.at("seed").get<std::uint64_t>();
  r.command_faults = j.value("command_faults", std::vector<std::string>{});
  r.without_faults = j.value("without_faults", false);
  r.repetition = j.value("repetition", 0u);
  r.repetitions = j.value("repetitions", 0u);
  r.duration = duration(j.at("duration_ms"));
  r.timeout = duration(j.at("timeout_ms"));
  r.timed_out = j.at("timed_out").get<bool>();
  r.interrupted_by = signal(j.value("interrupted_by", nlohmann::json()));
  // Both absent from the results of an older faultline.
  if (auto t = j.find("started_unix_ms"); t != j.end() && t->is_number())
    r.started_unix_ms = t->get<double>();
  if (auto t = j.find("timings_ms"); t != j.end() && t->is_object())
    for (const auto& [name, phase] : kPhases) r.timings.*phase = duration(t->value(name, 0.0));
  for (const auto& cj : j.value("channels", nlohmann::json::array()))
    r.channels.push_back({cj.at("name").get<std::string>(), cj.at("type").get<std::string>(),
                          cj.at("start_ms").get<double>(), cj.at("end_ms").get<double>()});
  for (const auto& pj : j.at("processes")) {
    ProcessResult p;
    p.name = pj.at("name").get<std::string>();
    p.pid = pj.at("pid").get<pid_t>();
    p.started = pj.at("started").get<bool>();
    p.not_started_reason = pj.value("not_started_reason", "");
    p.service = pj.at("lifetime") == "service";
    if (pj.at("exit_code").is_number()) p.exit_code = pj.at("exit_code").get<int>();
    p.term_signal = signal(pj.at("signal"));
    p.duration = duration(pj.at("duration_ms"));
    auto since_start = [&](const char* key) -> std::optional<double> {
      if (!pj.contains(key) || !pj[key].is_number()) return std::nullopt;  // older results
      return pj[key].get<double>();
    };
    p.start_ms = since_start("start_ms");
    p.ready_ms = since_start("ready_ms");
    p.end_ms = since_start("end_ms");
    p.stopped_by_runner = pj.at("stopped_by_runner").get<bool>();
    p.killed_at_timeout = pj.at("killed_at_timeout").get<bool>();
    p.killed_after_grace = pj.value("killed_after_grace", false);
    p.stdout_text = pj.at("stdout").get<std::string>();
    p.stderr_text = pj.at("stderr").get<std::string>();
    if (pj.contains("peer")) {
      p.peer_intact = pj["peer"].at("intact").get<bool>();
      p.peer_report = pj["peer"].at("report").get<std::string>();
    }
    for (const auto& bj : pj.value("blind_spots", nlohmann::json::array())) {
      p.blind_spots.push_back({bj.at("kind").get<std::string>(), bj.at("pid").get<pid_t>(),
                               bj.at("message").get<std::string>(), bj.at("escaped").get<bool>()});
    }
    for (const auto& sj : pj.value("at_timeout", nlohmann::json::array())) {
      p.at_timeout.push_back(
          {sj.at("pid").get<pid_t>(), sj.at("command").get<std::string>(),
           sj.at("state").get<std::string>(), sj.at("syscall").get<std::string>(),
           sj.at("wchan").get<std::string>(), sj.at("backtrace").get<std::string>()});
    }
    r.processes.push_back(std::move(p));
  }
  for (const auto& fj : j.at("faults")) {
    FaultResult f;
    f.spec = fj.at("spec").get<std::string>();
    f.hits = fj.at("hits").get<std::uint64_t>();
    f.fired = fj.at("fired").get<std::uint64_t>();
    f.refused = fj.value("refused", std::uint64_t{0});
    f.refused_why = fj.value("refused_why", "");
    f.unrealistic = fj.value("unrealistic", std::uint64_t{0});
    f.unrealistic_why = fj.value("unrealistic_why", "");
    f.optional = fj.value("optional", false);
    if (fj.contains("missed") && fj.at("missed").is_string())
      f.missed = fj.at("missed").get<std::string>();
    r.faults.push_back(std::move(f));
  }
  r.events.reserve(j.at("events").size());
  for (const auto& ej : j.at("events")) {
    FaultEvent e;
    e.seq = ej.at("seq").get<std::uint64_t>();
    e.time_ms = ej.at("time_ms").get<double>();
    e.pid = ej.at("pid").get<pid_t>();
    e.tid = ej.at("tid").get<pid_t>();
    e.process = ej.at("process").get<std::string>();
    e.call = ej.at("call").get<std::string>();
    e.rule = ej.at("rule").get<int>();
    e.fault = ej.at("fault").get<std::string>();
    e.result = ej.at("result").get<std::int64_t>();
    e.error = ej.at("errno").is_string() ? ej.at("errno").get<std::string>() : "";
    e.bytes = ej.at("bytes").get<std::int64_t>();
    e.fd = ej.at("fd").is_number() ? ej.at("fd").get<int>() : -1;
    e.channel = ej.at("channel").is_string() ? ej.at("channel").get<std::string>() : "";
    if (auto u = ej.find("unrealistic"); u != ej.end() && u->is_string())
      e.unrealistic = u->get<std::string>();
    e.caller = caller_from_json(ej.at("caller"));
    r.events.push_back(std::move(e));
  }
  r.events_lost = j.at("events_lost").get<std::uint64_t>();
  for (const auto& vj : j.at("violations")) {
    r.violations.push_back({vj.at("kind").get<std::string>(), vj.at("process").get<std::string>(),
                            vj.at("message").get<std::string>(),
                            vj.contains("time_ms") && vj.at("time_ms").is_number()
                                ? vj.at("time_ms").get<double>()
                                : -1.0});
  }
  r.notes = j.at("notes").get<std::vector<std::string>>();
  for (const auto& lj : j.at("leaks")) {
    r.leaks.push_back({lj.at("process").get<std::string>(), lj.at("pid").get<int>(),
                       lj.at("call").get<std::string>(), lj.at("object").get<std::string>(),
                       lj.at("removed").get<bool>()});
  }
  return r;
}

nlohmann::json to_json(const std::vector<ScenarioResult>& results) {
  nlohmann::json j;
  std::size_t passed = 0;
  auto& list = j["scenarios"] = nlohmann::json::array();
  for (const auto& r : results) {
    passed += r.passed ? 1 : 0;
    list.push_back(to_json(r));
  }
  j["summary"] = {
      {"scenarios", results.size()}, {"passed", passed}, {"failed", results.size() - passed}};
  // `run --repeat`: every run is in "scenarios"; the counts per scenario are here.
  if (auto tallies = tally_repetitions(results); !tallies.empty()) {
    auto& repeat = j["repeat"] = nlohmann::json::array();
    for (const auto& t : tallies)
      repeat.push_back({{"scenario", t.scenario},
                        {"file", t.file.string()},
                        {"runs", t.runs},
                        {"passed", t.passed},
                        {"failed", t.failed},
                        {"setup", t.setup},
                        {"failing_seeds", t.failing_seeds}});
  }
  return j;
}

void write_json(const std::filesystem::path& file, const std::vector<ScenarioResult>& results) {
  std::ofstream out(file);
  // Program output is raw bytes: what is no UTF-8 becomes U+FFFD rather than a failed write.
  out << to_json(results).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace faultline
