// load_scenario(): a scenario file -> Scenario, every problem of the file reported at once.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "util/did_you_mean.h"
#include "util/join_words.h"
#include "dsl/process_loader.h"
#include "dsl/scenario_keys.h"
#include "dsl/scenario_text.h"
#include "dsl/yaml_reader.h"
#include "faultline/scenario.h"
#include "faults/channel_kinds.h"
#include "model/channel_type.h"
#include "util/did_you_mean.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

const Field* find(const std::vector<Field>& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

class ScenarioLoader final {
 public:
  ScenarioLoader(const fs::path& file, Diagnostics& out)
      : file_(file), out_(out), r_(file.string(), out) {}

  std::optional<Scenario> load() {
    std::ifstream in(file_);
    if (!in) {
      r_.error(SourceLocation{file_.string(), 0, 0},
               fmt::format("cannot read the scenario file: {}", std::strerror(errno)),
               "check the path and that the file is readable");
      return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    return load(text.str());
  }

  std::optional<Scenario> load(const std::string& text) {
    Scenario s;
    std::error_code ec;
    s.file = fs::absolute(file_, ec).lexically_normal();
    s.dir = s.file.parent_path();
    YAML::Node doc;
    try {
      doc = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      r_.error(SourceLocation{file_.string(), e.mark.line + 1, e.mark.column + 1},
               "YAML syntax error: " + e.msg,
               "check the indentation and the quoting here (quote values that contain ': ', "
               "'#', '{' or '[')");
      return std::nullopt;
    } catch (const YAML::Exception& e) {
      r_.error(SourceLocation{file_.string(), e.mark.line + 1, e.mark.column + 1},
               "YAML error: " + e.msg, "check the file's YAML syntax here");
      return std::nullopt;
    }
    Field root = r_.root(doc);
    if (doc.IsNull()) {
      r_.error(root.key_at, "the scenario file is empty",
               "a scenario needs at least scenario: NAME and processes:");
      return std::nullopt;
    }
    auto fields = r_.entries(root, "the scenario", kTopKeys);
    if (!doc.IsMap()) return std::nullopt;

    if (const Field* f = find(fields, "scenario")) {
      if (auto name = r_.scalar(*f, "scenario")) {
        if (name->empty()) {
          r_.error(f->value_at, "scenario: the name is empty", "write scenario: NAME");
        }
        s.name = *name;
      }
    } else {
      r_.error(root.key_at, "the scenario has no name",
               "add scenario: NAME at the top, e.g. scenario: echo-survives-failed-accept");
    }
    if (const Field* f = find(fields, "description")) {
      if (auto d = r_.scalar(*f, "description")) s.description = *d;
    }
    if (const Field* f = find(fields, "timeout")) {
      if (auto d = r_.duration(*f, "timeout")) {
        if (d->count() <= 0) {
          r_.error(f->value_at, "timeout must be longer than 0", "write e.g. timeout: 10s");
        } else {
          s.timeout = *d;
        }
      }
    }
    if (const Field* f = find(fields, "seed")) s.seed = r_.unsigned_number(*f, "seed");
    if (const Field* f = find(fields, "channels")) load_channels(*f, s);
    ScenarioNames names{s.channels, {}, {}};
    for (const auto& b : broken_channels_) names.broken_channels.push_back(b);
    std::vector<Field> process_entries;
    if (const Field* f = find(fields, "processes")) {
      process_entries = r_.entries(*f, "processes", {});
      if (f->value.IsNull() || (f->value.IsMap() && f->value.size() == 0)) {
        r_.error(f->key_at, "processes: is empty", "declare at least one process with run:");
      }
    } else {
      r_.error(root.key_at, "the scenario has no processes:",
               "add processes: with at least one process, e.g.\n"
               "  processes:\n    app: { run: [programs/app] }");
    }
    for (const Field& e : process_entries) names.processes.push_back(e.name);
    names.index();
    std::vector<LoadedProcess> loaded;
    for (const Field& e : process_entries) {
      (void)r_.valid_name(e, "process");
      loaded.push_back(load_process(r_, e, names));
    }
    check_cycles(loaded);
    for (auto& l : loaded) s.processes.push_back(std::move(l.spec));
    if (const Field* f = find(fields, "faults")) load_faults(*f, names, s);
    if (const Field* f = find(fields, "expect")) load_expect(*f, s);
    return s;
  }

 private:
  void load_channels(const Field& f, Scenario& s) {
    for (const Field& e : r_.entries(f, "channels", {})) {
      bool ok = r_.valid_name(e, "channel");
      ChannelSpec c;
      c.name = e.name;
      c.where = e.key_at;
      std::string what = fmt::format("channel '{}'", e.name);
      auto fields = r_.entries(e, what, kChannelKeys);
      const Field* type = find(fields, "type");
      if (!type) {
        if (e.value.IsMap() || e.value.IsNull()) {
          r_.error(e.key_at, fmt::format("{} has no type", what),
                   "add type: with one of " + join_words(channel_type_names()));
        }
        ok = false;
      } else if (auto name = r_.scalar(*type, what + " type")) {
        if (auto t = channel_type_from_string(*name)) {
          c.type = *t;
        } else {
          std::string suggestion = did_you_mean(*name, channel_type_names());
          r_.error(type->value_at, fmt::format("{}: unknown type '{}'", what, *name),
                   (suggestion.empty() ? std::string() : suggestion + " ") +
                       "the types are: " + join_words(channel_type_names()));
          ok = false;
        }
      } else {
        ok = false;
      }
      if (ok) check_channel_options(fields, what, c);
      if (ok) {
        s.channels.push_back(std::move(c));
      } else {
        broken_channels_.push_back(e.name);
      }
    }
  }

  void check_channel_options(const std::vector<Field>& fields, const std::string& what,
                             ChannelSpec& c) {
    auto applies = [&](const Field& f) {
      auto option = std::find_if(kChannelOptions.begin(), kChannelOptions.end(),
                                 [&](const ChannelOption& o) { return o.key == f.name; });
      if (option->applies_to(c.type)) return true;
      r_.error(
          f.key_at,
          fmt::format("{}: '{}' does not apply to a {} channel", what, f.name, to_string(c.type)),
          fmt::format("remove it; {} is for {}", f.name, option->use));
      return false;
    };
    if (const Field* f = find(fields, "size"); f && applies(*f)) {
      if (auto n = r_.unsigned_number(*f, what + " size", 1)) c.size = *n;
    }
    if (const Field* f = find(fields, "count"); f && applies(*f)) {
      if (auto n = r_.unsigned_number(*f, what + " count", 1)) {
        if (*n > kMaxChannelCount) {
          r_.error(f->value_at, fmt::format("{}: count {} is too large", what, *n),
                   fmt::format("use a count up to {}", kMaxChannelCount));
        } else {
          c.count = static_cast<std::uint32_t>(*n);
        }
      }
    }
    if (const Field* f = find(fields, "backing"); f && applies(*f)) {
      if (auto b = r_.choice(*f, what + " backing", kMmapBackingChoices)) c.backing = *b;
    }
  }

  // `after:` must be a DAG: a cycle would leave every process in it waiting forever.
  void check_cycles(const std::vector<LoadedProcess>& loaded) {
    std::map<std::string, const LoadedProcess*> by_name;
    for (const auto& l : loaded) by_name.emplace(l.spec.name, &l);
    enum class Mark { unseen, active, done };
    std::map<std::string, Mark> mark;
    std::vector<std::string> path;
    // Depth-first with a stack of its own, not by recursion: a chain of 100,000 processes,
    // each after the one before, must not overflow the call stack.
    struct Frame {
      const LoadedProcess* process;
      std::size_t next = 0;  // the after: entry to look at next
    };
    std::vector<Frame> stack;
    std::map<std::string, std::size_t> on_path;  // name -> its place in `path`
    auto enter = [&](const LoadedProcess& p) {
      mark[p.spec.name] = Mark::active;
      path.push_back(p.spec.name);
      on_path.emplace(p.spec.name, path.size() - 1);
      stack.push_back(Frame{&p, 0});
    };
    auto visit = [&](const LoadedProcess& start) {
      enter(start);
      while (!stack.empty()) {
        Frame& top = stack.back();
        const LoadedProcess& p = *top.process;
        if (top.next == p.after_at.size()) {
          path.pop_back();
          on_path.erase(p.spec.name);
          mark[p.spec.name] = Mark::done;
          stack.pop_back();
          continue;
        }
        const auto& [next, where] = p.after_at[top.next++];
        auto it = by_name.find(next);
        if (it == by_name.end()) continue;
        Mark m = mark[next];
        if (m == Mark::active) {
          // The cycle as written, its middle left out when long (a file can make it 100,000
          // processes long).
          const std::size_t first = on_path.at(next), length = path.size() - first;
          std::string cycle;
          for (std::size_t i = first; i < path.size(); ++i) {
            if (length > 16 && i == first + 8) {
              cycle += fmt::format("... ({} more) -> ", length - 16);
              i = path.size() - 8;
            }
            cycle += path[i] + " -> ";
          }
          cycle += next;
          r_.error(where,
                   next == p.spec.name
                       ? fmt::format("process '{}' waits for itself in after:", next)
                       : fmt::format("after: forms a cycle: {}", cycle),
                   "a process starts once every process in its after: is ready, so a cycle never "
                   "starts; remove one of these dependencies");
        } else if (m == Mark::unseen) {
          enter(*it->second);
        }
      }
    };
    for (const auto& l : loaded) {
      if (mark[l.spec.name] == Mark::unseen) visit(l);
    }
  }

  void load_faults(const Field& f, const ScenarioNames& names, Scenario& s) {
    if (f.value.IsNull()) return;
    if (!f.value.IsSequence()) {
      r_.error(f.value_at, fmt::format("faults must be a list, not {}", node_kind(f.value)),
               "write one '- call: ...' entry per fault");
      return;
    }
    for (const auto& node : f.value) {
      Field entry = r_.item(node);
      if (node.IsScalar()) {
        load_fault_text(entry, names, s);
        continue;
      }
      FaultSpecBuilder builder(entry.key_at);
      auto fields = r_.entries(entry, "a fault", FaultSpecBuilder::keys());
      if (!node.IsMap()) continue;
      auto report = [&](const SourceLocation& at, const std::string& problem) {
        if (!problem.empty()) out_.push_back(make_diagnostic(at, problem));
      };
      bool set_failed = false;
      for (const Field& k : fields) {
        if (k.name == "call" && k.value.IsSequence()) {
          for (const auto& c : k.value) {
            Field call = r_.item(c);
            if (auto name = r_.scalar(call, "a call")) {
              std::string problem = builder.add_call(*name, call.value_at);
              set_failed |= !problem.empty();
              report(call.value_at, problem);
            } else {
              set_failed = true;
            }
          }
          continue;
        }
        std::string value;
        if (!k.value.IsNull()) {
          auto v = r_.scalar(k, "fault " + k.name);
          if (!v) {
            set_failed = true;
            continue;
          }
          value = *v;
        }
        std::string problem = builder.set(k.name, value, k.key_at);
        set_failed |= !problem.empty();
        report(k.value_at, problem);
      }
      if (const Field* p = find(fields, "process")) {
        const auto& known = names.processes;
        if (p->value.IsScalar() && !names.has_process(p->value.Scalar())) {
          std::string suggestion = did_you_mean(p->value.Scalar(), known);
          r_.error(
              p->value_at, fmt::format("fault: unknown process '{}'", p->value.Scalar()),
              suggestion.empty() ? "the processes are: " + join_some_words(known) : suggestion);
        }
      }
      if (const Field* c = find(fields, "channel"); c && c->value.IsScalar()) {
        (void)channel_reference(r_, *c, c->value.Scalar(), "fault channel", names);
      }
      if (auto spec = builder.build(out_); spec && !set_failed && possible_on_channel(*spec, names))
        s.faults.push_back(*spec);
    }
  }

  // A kind that no kernel produces on the channel's fds (a short datagram, drop on a stream)
  // is known to be refused on every call before the run: say so now, unless `force`.
  // Only the channel the fault names can refuse it: looked up, not searched for (a file of
  // many faults and channels loads in linear time).
  bool possible_on_channel(const FaultSpec& spec, const ScenarioNames& names) {
    auto it = names.channel_by_name.find(spec.channel);
    if (it == names.channel_by_name.end()) return true;
    if (auto problem = impossible_on_channel(spec, *it->second)) {
      auto nl = problem->find('\n');
      r_.error(spec.where, problem->substr(0, nl), problem->substr(nl + 1));
      return false;
    }
    return true;
  }

  // `- server/accept:error=EMFILE:nth=1`: the command-line form, as a list item.
  void load_fault_text(const Field& entry, const ScenarioNames& names, Scenario& s) {
    Diagnostics local;
    auto spec = parse_fault_spec(entry.value.Scalar(), local);
    for (auto& d : local) {
      // Columns count into the text; exact for the usual unquoted item.
      d.where = SourceLocation{entry.value_at.file, entry.value_at.line,
                               entry.value_at.column + d.where.column - 1};
      out_.push_back(std::move(d));
    }
    if (!spec) return;
    spec->where = entry.value_at;
    const auto& known = names.processes;
    if (!spec->process.empty() && !names.has_process(spec->process)) {
      std::string suggestion = did_you_mean(spec->process, known);
      r_.error(entry.value_at, fmt::format("fault: unknown process '{}'", spec->process),
               suggestion.empty() ? "the processes are: " + join_some_words(known) : suggestion);
      return;
    }
    if (!spec->channel.empty() &&
        !channel_reference(r_, entry, spec->channel, "fault channel", names)) {
      return;
    }
    if (!possible_on_channel(*spec, names)) return;
    s.faults.push_back(*spec);
  }

  void load_expect(const Field& f, Scenario& s) {
    auto fields = r_.entries(f, "expect", kScenarioExpectKeys);
    if (const Field* k = find(fields, "peers")) {
      if (auto v = r_.choice(*k, "expect peers", kExpectPeersChoices)) {
        s.peers_expect =
            *v == "intact" ? Scenario::PeersExpect::intact : Scenario::PeersExpect::any;
      }
    }
    if (const Field* k = find(fields, "faults")) {
      if (auto v = r_.choice(*k, "expect faults", kExpectFaultsChoices)) {
        s.faults_expect =
            *v == "fired" ? Scenario::FaultsExpect::fired : Scenario::FaultsExpect::any;
      }
    }
    if (const Field* k = find(fields, "leaks")) {
      if (auto v = r_.choice(*k, "expect leaks", kExpectLeaksChoices)) {
        s.leaks_expect = *v == "none" ? Scenario::LeaksExpect::none : Scenario::LeaksExpect::any;
      }
    }
  }

  fs::path file_;
  Diagnostics& out_;
  YamlReader r_;
  std::vector<std::string> broken_channels_;
};

// Diagnostics come in the order the loader met them; users read files top to bottom.
LoadResult sorted_result(std::optional<Scenario> scenario, Diagnostics diagnostics) {
  LoadResult result;
  result.diagnostics = std::move(diagnostics);
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.where.line, a.where.column) <
                            std::tie(b.where.line, b.where.column);
                   });
  if (result.diagnostics.empty()) result.scenario = std::move(scenario);
  return result;
}

}  // namespace

LoadResult load_scenario(const std::filesystem::path& file) {
  Diagnostics diagnostics;
  auto scenario = ScenarioLoader(file, diagnostics).load();
  return sorted_result(std::move(scenario), std::move(diagnostics));
}

LoadResult load_scenario_text(const std::string& text, const std::filesystem::path& file) {
  Diagnostics diagnostics;
  auto scenario = ScenarioLoader(file, diagnostics).load(text);
  return sorted_result(std::move(scenario), std::move(diagnostics));
}

}  // namespace faultline
