// The scenario format as a JSON Schema; see scenario_schema.h. The descriptions are
// docs/scenarios.md's and docs/faults.md's, shortened to hover text.
#include "dsl/scenario_schema.h"

#include <fmt/format.h>

#include <map>
#include <stdexcept>
#include <string>

#include "dsl/scenario_keys.h"
#include "faultline/fault_spec.h"
#include "faults/call_table.h"
#include "model/channel_type.h"
#include "model/peer_contract.h"
#include "util/duration_units.h"
#include "util/overloaded.h"
#include "util/signal_names.h"

namespace faultline {
namespace {

using Json = nlohmann::ordered_json;
// A key's schema, description included, by key.
using Described = std::map<std::string_view, Json>;

// The loader reads every scalar as text, so `seed: 7` and `seed: "7"` are both a number.
constexpr std::string_view kDigits = "^[0-9]+$";
// is_identifier() (yaml_reader.h): channel and process names.
constexpr std::string_view kNamePattern = "^[A-Za-z_][A-Za-z0-9_-]*$";

Json ref(std::string_view definition) {
  return Json{{"$ref", fmt::format("#/definitions/{}", definition)}};
}

// A property that is a definition plus its own description. Draft-07 ignores the siblings of
// a $ref, so the reference goes one level down.
Json described_ref(std::string_view definition, std::string_view description) {
  return Json{{"description", description}, {"allOf", Json::array({ref(definition)})}};
}

Json with_description(Json schema, std::string_view description) {
  Json out{{"description", description}};
  for (auto& [k, v] : schema.items()) out[k] = v;
  return out;
}

Json words(const Words& list) {
  Json out = Json::array();
  for (auto w : list) out.push_back(w);
  return out;
}

// `|`-joined for a regular expression; the words are C identifiers, nothing to escape.
std::string alternation(const Words& list) {
  std::string out;
  for (auto w : list) {
    if (!out.empty()) out += '|';
    out += w;
  }
  return out;
}

// Whole number >= `min`, as a YAML number or as quoted digits.
Json whole_number(std::uint64_t min, std::optional<std::uint64_t> max = std::nullopt) {
  Json number{{"type", "integer"}, {"minimum", min}};
  if (max) number["maximum"] = *max;
  return Json{{"anyOf", Json::array({number, Json{{"type", "string"}, {"pattern", kDigits}}})}};
}

// The properties of a map the loader reads with `keys`: every key must have an entry in
// `described` and every entry must be a key, or the schema and the loader have drifted apart.
Json properties(std::string_view where, const Words& keys, Described described) {
  Json out = Json::object();
  for (auto key : keys) {
    auto it = described.find(key);
    if (it == described.end()) {
      throw std::logic_error(
          fmt::format("scenario schema: {} key '{}' has no description", where, key));
    }
    out[std::string(key)] = std::move(it->second);
    described.erase(it);
  }
  if (!described.empty()) {
    throw std::logic_error(
        fmt::format("scenario schema: '{}' is described for {}, which has "
                    "no such key",
                    described.begin()->first, where));
  }
  return out;
}

Json closed_map(std::string_view where, const Words& keys, Described described) {
  return Json{{"type", "object"},
              {"properties", properties(where, keys, std::move(described))},
              {"additionalProperties", false}};
}

// parse_duration's grammar, unanchored: digits with an optional fraction, then a unit.
std::string duration_regex() {
  std::string units;
  for (auto u : duration_units()) units += (units.empty() ? "" : "|") + std::string(u);
  return fmt::format("[ \\t]*([0-9]+(\\.[0-9]+)?|\\.[0-9]+)({})[ \\t]*", units);
}

Json duration_definition() {
  return Json{{"description",
               "A duration with its unit: 250ms, 10s, 1.5s, 2m, 500us, 100ns (a unit is "
               "required)."},
              {"type", "string"},
              {"pattern", fmt::format("^{}$", duration_regex())}};
}

Json signal_definition() {
  Json names = Json::array();
  for (const auto& n : signal_names()) names.push_back(n);
  return Json{
      {"description", "A signal: its name (SIGTERM or TERM) or its number (15)."},
      {"anyOf",
       Json::array({Json{{"type", "string"}, {"enum", names}},
                    Json{{"type", "integer"}, {"minimum", 1}, {"maximum", max_signal_number()}},
                    Json{{"type", "string"}, {"pattern", kDigits}}})}};
}

// Base names and the variant symbols, as FaultSpecBuilder::add_call accepts them.
Words call_names() {
  Words out;
  for (const auto& c : call_table()) {
    for (auto n : {c.base, c.symbol}) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  }
  return out;
}

Json channel_definition() {
  Json types = words(channel_type_names());
  std::string type_help =
      "The IPC mechanism the runner provisions (docs/scenarios.md, \"Channels\"): pipe "
      "(pipe2), fifo (mkfifo), msgqueue (System V queue), posix-mq (mq_open), shm (System V "
      "segment), mmap (POSIX shm object or a file), semaphore (System V set), unix-stream, "
      "unix-dgram (a socket path), tcp, udp (a free loopback port).";
  Described described{
      {"type", Json{{"description", type_help}, {"type", "string"}, {"enum", types}}}};
  for (const ChannelOption& o : kChannelOptions) {
    Json schema;
    if (o.key == "size") {
      schema = with_description(whole_number(1),
                                "Bytes of a shm or mmap segment (default 4096); "
                                "the largest message of a msgqueue or posix-mq.");
    } else if (o.key == "count") {
      schema =
          with_description(whole_number(1, kMaxChannelCount),
                           "Semaphores in a semaphore set (default 1); messages a posix-mq holds.");
    } else if (o.key == "backing") {
      schema = Json{{"description",
                     "What backs an mmap channel: a POSIX shm object (shm, default) or a file "
                     "in the run directory."},
                    {"type", "string"},
                    {"enum", words(kMmapBackingChoices)},
                    {"default", "shm"}};
    }
    std::string types_text;
    for (auto t : o.types)
      types_text += (types_text.empty() ? "" : ", ") + std::string(to_string(t));
    schema["description"] =
        fmt::format("{} Only for {}.", schema.value("description", ""), types_text);
    described[o.key] = std::move(schema);
  }
  Json channel = closed_map("channel", kChannelKeys, std::move(described));
  channel["description"] =
      "A channel: an IPC object the runner creates before the processes start and removes "
      "after the run. Its attributes are substituted as ${NAME.ATTR} (path, name, key, id, "
      "host, port, size, count, ... by type).";
  channel["required"] = Json::array({"type"});
  // Each type takes only its own options.
  Json per_type = Json::array();
  for (auto name : channel_type_names()) {
    ChannelType t = *channel_type_from_string(name);
    Json allowed = Json::array({"type"});
    for (const ChannelOption& o : kChannelOptions) {
      if (o.applies_to(t)) allowed.push_back(o.key);
    }
    per_type.push_back(Json{{"if", Json{{"properties", Json{{"type", Json{{"const", name}}}}},
                                        {"required", Json::array({"type"})}}},
                            {"then", Json{{"propertyNames", Json{{"enum", allowed}}}}}});
  }
  channel["allOf"] = per_type;
  return channel;
}

Json peer_definition() {
  Described described{
      {"mode", Json{{"description",
                     "send, recv, echo (a server that answers every message) or request (a "
                     "client that sends and waits for each answer)."},
                    {"type", "string"},
                    {"enum", words(peer_mode_names())}}},
      {"channel", described_ref("name",
                                "The channel the peer speaks; its attributes become "
                                "the peer's flags.")},
      {"signal", described_ref("name",
                               "shm, mmap: a semaphore channel to signal through "
                               "instead of a futex in the segment.")},
      {"reply", described_ref("name",
                              "echo/request over a pipe, fifo or posix-mq: a second "
                              "channel of the same type that carries the answers.")},
  };
  for (const PeerSetting& s : peer_settings()) {
    Json schema = std::visit(
        Overloaded{
            [](std::optional<std::uint64_t> PeerExchange::*) { return whole_number(1); },
            [](std::optional<std::string> PeerExchange::*) {
              return Json{{"anyOf", Json::array({Json{{"type", "integer"}, {"minimum", 0}},
                                                 Json{{"type", "string"},
                                                      {"pattern", "^[0-9]+(\\.\\.[0-9]+)?$"}}})}};
            },
            [](double PeerExchange::*) { return whole_number(0); },
            [](Duration PeerExchange::*) { return ref("duration"); },
            [](bool PeerExchange::*) {
              Json choices = Json::array({true, false});
              for (auto w : kPeerSwitchChoices) choices.push_back(w);
              return Json{{"enum", choices}, {"default", false}};
            },
        },
        s.field);
    described[s.key] = schema.contains("$ref") ? described_ref("duration", s.help)
                                               : with_description(schema, s.help);
  }
  Json peer = closed_map("peer", peer_keys(), std::move(described));
  peer["required"] = Json::array({"mode", "channel"});
  return peer;
}

Json ready_definition() {
  Json ready = closed_map(
      "ready", kReadyKeys,
      {{"listening",
        described_ref("name",
                      "A socket channel (unix-stream, unix-dgram, tcp, udp): ready once "
                      "the process listens on it (bound, for datagrams).")},
       {"stdout", Json{{"description",
                        "A regular expression (ECMAScript): ready once it matches the output so "
                        "far (a line, or the unfinished last line such as a prompt)."},
                       {"type", Json::array({"string", "number"})}}},
       {"stderr", Json{{"description", "A regular expression: ready once it matches stderr."},
                       {"type", Json::array({"string", "number"})}}},
       {"file", described_ref("text", "A path: ready once it exists (${...} substituted).")},
       {"delay", described_ref("duration", "Ready that long after the start.")}});
  ready["description"] =
      "When the process counts as ready, for the processes whose after: names it: exactly one "
      "condition. Without it a service is ready once started and a task once it has exited.";
  ready["minProperties"] = 1;
  ready["maxProperties"] = 1;
  return ready;
}

Json text_expectation_definition() {
  Json text_or_list =
      Json{{"anyOf", Json::array({ref("text"), Json{{"type", "array"}, {"items", ref("text")}}})}};
  Json one =
      closed_map("text expectation", kTextKeys,
                 {{"contains", with_description(text_or_list,
                                                "The output contains this text (or each of "
                                                "a list of texts).")},
                  {"matches", with_description(text_or_list,
                                               "The output matches this regular expression "
                                               "(ECMAScript), or each of a list.")},
                  {"equals", with_description(text_or_list, "The output is exactly this text.")}});
  one["minProperties"] = 1;
  return Json{{"description",
               "What the output must hold: { contains: TEXT }, { matches: REGEX } or "
               "{ equals: TEXT }, or a list of such maps (all must hold)."},
              {"if", Json{{"type", "array"}}},
              {"then", Json{{"items", one}}},
              {"else", one}};
}

Json process_expect_definition() {
  Json status = Json{{"type", "integer"}, {"minimum", 0}, {"maximum", 255}};
  Json code =
      Json{{"anyOf", Json::array({status, Json{{"type", "string"}, {"pattern", kDigits}}})}};
  Json exit =
      Json{{"description",
            "The exit status: a number (0), a list ([0, 3]), nonzero or any (any also accepts a "
            "service's death by the stop signal the runner sent)."},
           {"anyOf", Json::array({status, Json{{"type", "string"}, {"pattern", kDigits}},
                                  Json{{"type", "string"}, {"enum", words(kExitWords)}},
                                  Json{{"type", "array"}, {"items", code}}})}};
  Json expect = closed_map(
      "process expect", kExpectKeys,
      {{"exit", exit},
       {"signal", described_ref("signal", "The process must die of this signal.")},
       {"stdout", described_ref("text_expectation", "What its standard output must hold.")},
       {"stderr", described_ref("text_expectation", "What its standard error must hold.")},
       {"within", described_ref("duration", "It must end within this long of its start.")}});
  expect["type"] = Json::array({"object", "null"});
  expect["description"] =
      "How the process must end. Without it a task must exit 0 and a service may exit 0 or die "
      "of its stop signal; an expect without exit/signal keeps those defaults for the status.";
  return expect;
}

Json std_stream(std::string_view which) {
  Json stream = closed_map(
      which, kStdStreamKeys,
      {{"channel",
        described_ref("name", fmt::format("A pipe channel wired to the process's {}.", which))}});
  stream["required"] = Json::array({"channel"});
  stream["description"] = fmt::format(
      "{}: {{ channel: PIPE }}: the process's {} is that pipe's "
      "{} end.",
      which, which, which == "stdin" ? "read" : "write");
  return stream;
}

Json process_definition() {
  Json run =
      Json{{"description",
            "The command: a list [PROGRAM, ARG...] run without a shell, or a string run by /bin/sh "
            "-c. Relative program paths resolve against the scenario file's folder, then PATH. "
            "${NAME.ATTR}, ${run_dir}, ${scenario_dir} and ${env.VAR} are substituted."},
           {"if", Json{{"type", "array"}}},
           {"then", Json{{"minItems", 1}, {"items", ref("text")}}},
           {"else", Json{{"allOf", Json::array({ref("text")})}, {"minLength", 1}}}};
  Json names = Json{{"if", Json{{"type", "array"}}},
                    {"then", Json{{"items", ref("name")}}},
                    {"else", ref("name")}};
  Json process = closed_map(
      "process", kProcessKeys,
      {{"run", run},
       {"peer", described_ref("peer",
                              "The built-in peer (faultline-peer, docs/peer.md) "
                              "instead of a program of your own.")},
       {"after", with_description(names,
                                  "Start once these processes are ready (a name or a "
                                  "list of names).")},
       {"ready", described_ref("ready",
                               "When the process counts as ready: { listening: CHANNEL "
                               "}, { stdout: REGEX }, { stderr: REGEX }, { file: PATH } "
                               "or { delay: DURATION }.")},
       {"lifetime", Json{{"description",
                          "task: the scenario waits for it to end. service: it runs until the "
                          "tasks are done, then gets its stop signal."},
                         {"type", "string"},
                         {"enum", words(kLifetimeChoices)},
                         {"default", "task"}}},
       {"stop_signal",
        Json{{"description",
              "Sent to a service's process group when the tasks are done (default SIGTERM)."},
             {"allOf", Json::array({ref("signal")})},
             {"default", "SIGTERM"}}},
       {"grace", Json{{"description", "How long after the stop signal SIGKILL follows."},
                      {"allOf", Json::array({ref("duration")})},
                      {"default", "2s"}}},
       {"stdin", std_stream("stdin")},
       {"stdout", std_stream("stdout")},
       {"fds",
        Json{{"description",
              "Pipe ends on file descriptors: { 3: PIPE.read, 4: PIPE.write } (fds 0 to 1023)."},
             {"type", "object"},
             {"propertyNames", Json{{"pattern", "^[0-9]{1,4}$"}}},
             {"additionalProperties",
              Json{{"type", "string"}, {"pattern", "^[A-Za-z_][A-Za-z0-9_-]*\\.(read|write)$"}}}}},
       {"env", Json{{"description",
                     "Environment variables for the process, ${...} substituted; an empty value "
                     "sets the variable to \"\"."},
                    {"type", "object"},
                    {"propertyNames", Json{{"pattern", "^[A-Za-z_][A-Za-z0-9_]*$"}}},
                    {"additionalProperties",
                     Json{{"type", Json::array({"string", "number", "boolean", "null"})}}}}},
       {"cwd", described_ref("text",
                             "Its working directory (default: the scenario file's "
                             "folder), ${...} substituted.")},
       {"expect", described_ref("process_expect",
                                "How the process must end: exit, signal, "
                                "stdout, stderr, within.")},
       {"backend", Json{{"description",
                         "How faults reach it: preload (LD_PRELOAD, default), seccomp (static "
                         "programs, raw syscalls, libc's own calls) or both (docs/seccomp.md)."},
                        {"type", "string"},
                        {"enum", words(kBackendChoices)},
                        {"default", "preload"}}},
       {"stdio", Json{{"description",
                       "capture (default: read-write pipes) or pty (fd 1 and 2 are a "
                       "pseudo-terminal)."},
                      {"type", "string"},
                      {"enum", words(kStdioChoices)},
                      {"default", "capture"}}}});
  process["description"] =
      "A process: run: (a program of yours) or peer: (the built-in peer), started in file "
      "order subject to after:.";
  process["oneOf"] = Json::array(
      {Json{{"required", Json::array({"run"})}}, Json{{"required", Json::array({"peer"})}}});
  return process;
}

// A fault's keys: action (exactly one), trigger, match and verdict, as docs/faults.md.
Described fault_keys() {
  Json flag = Json{{"enum", Json::array({nullptr, true, "true", "yes"})}};
  Json boolean = Json{{"enum", Json::array({nullptr, true, false, "true", "false", "yes", "no"})},
                      {"default", false}};
  Json calls =
      Json{{"if", Json{{"type", "array"}}},
           {"then", Json{{"minItems", 1}, {"items", ref("call")}}},
           {"else",
            Json{{"type", "string"},
                 {"pattern", fmt::format("^ *({0}) *(, *({0}) *)*$", alternation(call_names()))}}}};
  Json delay =
      Json{{"type", "string"}, {"pattern", fmt::format("^{0}(\\.\\.{0})?$", duration_regex())}};
  return Described{
      {"process", described_ref("name",
                                "Only this process (and its descendants); default "
                                "every process.")},
      {"call", with_description(calls,
                                "The call(s) to fault: a name, a comma-separated list or "
                                "a list. A base name covers its spellings (read: "
                                "__read_chk, readv); `faultline calls` lists them.")},
      {"error", described_ref("errno",
                              "Action: the call fails with this errno (a name such as "
                              "ECONNRESET, or its number).")},
      {"short", with_description(whole_number(1),
                                 "Action: transfer at most N bytes (messages, "
                                 "for sendmmsg/recvmmsg).")},
      {"eof", with_description(flag, "Action: a read returns 0.")},
      {"delay", with_description(delay,
                                 "Action: sleep, then make the real call: DURATION or "
                                 "MIN..MAX (e.g. 10ms..50ms).")},
      {"reset", with_description(flag,
                                 "Action: on a stream socket, this and every later call "
                                 "on the connection fail with ECONNRESET.")},
      {"corrupt",
       with_description(Json{{"anyOf", Json::array({flag, whole_number(1, 4096)})}},
                        "Action: flip BITS bits (default 1) of the data the call read.")},
      {"drop", with_description(flag, "Action: a send reports success and delivers nothing.")},
      {"signal", described_ref("signal",
                               "Action: the caller dies of this signal at this call "
                               "(crash-point injection).")},
      {"spurious", with_description(flag,
                                    "Action: poll, select or epoll_wait report an fd "
                                    "ready that is not.")},
      {"nth", with_description(whole_number(1),
                               "Trigger: fire on the N-th matching call of the "
                               "run, counting from 1.")},
      {"after", with_description(whole_number(0),
                                 "Trigger: fire on every call after the first "
                                 "N.")},
      {"every", with_description(whole_number(1),
                                 "Trigger: fire on the K-th, 2K-th, ... "
                                 "call.")},
      {"probability",
       Json{
           {"description",
            "Trigger: fire on this share of the matching calls, in (0, 1], "
            "decided from (seed, rule, call number)."},
           {"anyOf", Json::array({Json{{"type", "number"}, {"exclusiveMinimum", 0}, {"maximum", 1}},
                                  Json{{"type", "string"}, {"pattern", "^[0-9.eE+-]+$"}}})}}},
      {"times", with_description(whole_number(1), "Trigger: fire at most M times.")},
      {"channel", described_ref("name", "Match: only the fds and ids of this channel.")},
      {"fd", Json{{"description",
                   "Match: the fds a call may be on: ipc (default: pipes, FIFOs, sockets, "
                   "queues, shared memory), file (regular files, directories, devices), anon "
                   "(eventfd, signalfd, timerfd, epoll, ...) or any."},
                  {"type", "string"},
                  {"enum", Json::array({"ipc", "file", "anon", "any"})},
                  {"default", "ipc"}}},
      {"site", described_ref("text",
                             "Match: only calls made from FUNCTION, FILE:LINE or "
                             "MODULE+0xOFFSET, or a calling context INNER<CALLER<...")},
      {"force", with_description(boolean,
                                 "Let through an errno the man page does not list, a "
                                 "signal that does not end the process, or a kind the "
                                 "fd cannot produce.")},
      {"optional", with_description(boolean,
                                    "The fault may never fire without failing the "
                                    "scenario.")},
  };
}

Json fault_definitions(Json& definitions) {
  Json map = closed_map("fault", FaultSpecBuilder::keys(), fault_keys());
  map["required"] = Json::array({"call"});
  Json one_action = Json::array();
  for (int a = 0; a <= static_cast<int>(FaultAction::spurious); ++a) {
    std::string_view key = to_string(static_cast<FaultAction>(a));
    if (!map["properties"].contains(key)) {
      throw std::logic_error(fmt::format("scenario schema: fault action '{}' is no key", key));
    }
    one_action.push_back(Json{{"required", Json::array({key})}});
  }
  map["oneOf"] = one_action;
  map["description"] =
      "A fault as a map: call:, exactly one action (error, short, eof, delay, reset, corrupt, "
      "drop, signal, spurious), triggers, matches (docs/faults.md).";
  definitions["fault_map"] = map;

  std::string keys = alternation(FaultSpecBuilder::keys());
  definitions["fault_text"] = Json{
      {"description",
       "A fault in the command-line form [PROCESS/]CALL[,CALL...](:KEY[=VALUE])*, e.g. "
       "server/accept:error=EMFILE:nth=1."},
      {"type", "string"},
      {"pattern",
       fmt::format("^([A-Za-z_][A-Za-z0-9_-]*/)?({0})(,({0}))*(:({1})(=[^:]*(:[0-9][^:]*)*)?)*$",
                   alternation(call_names()), keys)}};

  Json errnos = Json::array();
  for (auto e : errno_names()) errnos.push_back(e);
  definitions["errno"] =
      Json{{"description", "An errno: its name (ECONNRESET) or its number."},
           {"anyOf", Json::array({Json{{"type", "string"}, {"enum", errnos}},
                                  Json{{"type", "integer"}, {"minimum", 1}, {"maximum", 4095}},
                                  Json{{"type", "string"}, {"pattern", kDigits}}})}};
  definitions["call"] = Json{{"description", "An interposed call (`faultline calls`)."},
                             {"type", "string"},
                             {"enum", words(call_names())}};
  return Json{{"description",
               "A fault: the command-line form as a string (server/accept:error=EMFILE:nth=1) "
               "or a map of the same keys."},
              {"if", Json{{"type", "string"}}},
              {"then", ref("fault_text")},
              {"else", ref("fault_map")}};
}

Json scenario_expect() {
  Json expect = closed_map(
      "expect", kScenarioExpectKeys,
      {{"faults", Json{{"description",
                        "fired (default): every fault must fire at least once unless it is "
                        "optional; any lets every fault go unfired."},
                       {"type", "string"},
                       {"enum", words(kExpectFaultsChoices)},
                       {"default", "fired"}}},
       {"leaks", Json{{"description",
                       "none (default): an IPC object a process left behind fails the scenario; "
                       "any reports leaks without failing."},
                      {"type", "string"},
                      {"enum", words(kExpectLeaksChoices)},
                      {"default", "none"}}},
       {"peers", Json{{"description",
                       "intact: every built-in peer's exchange must be intact (nothing lost, "
                       "corrupted or out of order); any (default) does not check."},
                      {"type", "string"},
                      {"enum", words(kExpectPeersChoices)},
                      {"default", "any"}}}});
  expect["type"] = Json::array({"object", "null"});
  expect["description"] = "What the whole scenario expects: faults, leaks, peers.";
  return expect;
}

}  // namespace

Json scenario_schema() {
  Json definitions = Json::object();
  definitions["name"] = Json{
      {"description", "A channel or process name."}, {"type", "string"}, {"pattern", kNamePattern}};
  definitions["text"] = Json{{"description",
                              "A single value (text; numbers and booleans are "
                              "read as their text)."},
                             {"type", Json::array({"string", "number", "boolean"})}};
  definitions["duration"] = duration_definition();
  definitions["signal"] = signal_definition();
  definitions["channel"] = channel_definition();
  definitions["peer"] = peer_definition();
  definitions["ready"] = ready_definition();
  definitions["text_expectation"] = text_expectation_definition();
  definitions["process_expect"] = process_expect_definition();
  definitions["process"] = process_definition();
  Json fault = fault_definitions(definitions);
  definitions["fault"] = fault;

  Json top = closed_map(
      "the scenario", kTopKeys,
      {{"scenario", Json{{"description", "The scenario's name (required), shown in reports."},
                         {"type", Json::array({"string", "number", "boolean"})},
                         {"minLength", 1}}},
       {"description", described_ref("text", "What the scenario checks, in a sentence.")},
       {"timeout", Json{{"description",
                         "The whole scenario's limit (default 30s); over it the scenario fails "
                         "and the report shows what each live process was blocked in."},
                        {"allOf", Json::array({ref("duration")})},
                        {"default", "30s"}}},
       {"seed", with_description(whole_number(0),
                                 "Seed for probabilistic faults; default "
                                 "random, always printed.")},
       {"channels", Json{{"description",
                          "The IPC objects of the scenario, by name: { NAME: { type: TYPE, ... "
                          "} }."},
                         {"type", Json::array({"object", "null"})},
                         {"propertyNames", ref("name")},
                         {"additionalProperties", ref("channel")}}},
       {"processes", Json{{"description",
                           "The processes, by name, started in file order subject to after: "
                           "(required, at least one)."},
                          {"type", "object"},
                          {"minProperties", 1},
                          {"propertyNames", ref("name")},
                          {"additionalProperties", ref("process")}}},
       {"faults", Json{{"description",
                        "The faults to inject: each a command-line spec string or a map "
                        "(docs/faults.md)."},
                       {"type", Json::array({"array", "null"})},
                       {"items", ref("fault")}}},
       {"expect", described_ref("expect",
                                "What the whole scenario expects: faults, leaks, "
                                "peers.")}});
  definitions["expect"] = scenario_expect();

  Json schema{{"$schema", "http://json-schema.org/draft-07/schema#"},
              {"title", "faultline scenario"},
              {"description",
               "A faultline scenario file: channels, processes, faults and expectations "
               "(docs/scenarios.md). Printed by `faultline schema`; `faultline check` also "
               "checks what a schema cannot (names, programs, errnos per call)."}};
  for (auto& [k, v] : top.items()) schema[k] = v;
  schema["required"] = Json::array({"scenario", "processes"});
  schema["definitions"] = definitions;
  return schema;
}

}  // namespace faultline
