// See corpus_run.h.
#include "corpus_run.h"

#include <sys/msg.h>
#include <sys/shm.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "faultline/fault_spec.h"
#include "probe.h"

extern char** environ;

namespace faultline::test {
namespace {

constexpr auto kTimeout = std::chrono::seconds(30);

// The test's environment without anything that would preload or configure the interposer,
// plus the scratch folder and the C locale (sort order must not depend on the machine).
std::vector<std::string> base_env(const ScratchDir& dir) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string var(*e);
    if (var.rfind("LD_PRELOAD=", 0) == 0 || var.rfind("FAULTLINE_", 0) == 0 ||
        var.rfind("LC_", 0) == 0 || var.rfind("LANG=", 0) == 0 || var.rfind("D=", 0) == 0)
      continue;
    env.push_back(std::move(var));
  }
  env.push_back("LC_ALL=C");
  env.push_back("D=" + dir.path().string());
  return env;
}

// Removes every SysV object the program announced on stderr, whether or not it got to remove
// it itself; returns those that were still there.
std::vector<std::string> remove_announced_sysv(const std::string& err) {
  static const std::regex announce(R"(^sysv (msg|shm) (\d+)$)");
  std::vector<std::string> left;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, announce)) continue;
    int id = std::stoi(m[2]);
    int rc = m[1] == "msg" ? ::msgctl(id, IPC_RMID, nullptr) : ::shmctl(id, IPC_RMID, nullptr);
    if (rc == 0) left.push_back(line);
  }
  return left;
}

CorpusRun run(const CorpusEntry& entry, const std::vector<std::string>& faults, bool preload) {
  ScratchDir dir;
  std::vector<std::string> env = base_env(dir);
  std::optional<ControlBlock> control;
  if (preload) {
    std::vector<FaultSpec> specs;
    for (const auto& text : faults) {
      Diagnostics diags;
      auto spec = parse_fault_spec(text, diags);
      if (!spec) {
        throw std::invalid_argument("corpus fault '" + text +
                                    "' does not parse: " + diags.front().format());
      }
      specs.push_back(*spec);
    }
    // The control file lives in the scratch folder: removed with it, whatever happens.
    control.emplace(ControlBlock::create(dir.path() / "control", specs, 1));
    env.push_back("LD_PRELOAD=" + interposer_path().string());
    env.push_back("FAULTLINE_CONTROL=" + control->path().string());
    env.push_back("FAULTLINE_PROCESS=corpus");
  }
  CorpusRun r;
  r.faults = faults;
  r.run = run_in_own_group(entry.argv, env, dir.path(), kTimeout);
  r.sysv_left = remove_announced_sysv(r.run.result.err);
  if (control) {
    for (std::size_t i = 0; i < control->rule_count(); ++i) r.stats.push_back(control->stats(i));
  }
  return r;
}

std::string error_for(const std::string& call) {
  static const std::map<std::string, std::string> errors{{"read", "EIO"},
                                                         {"write", "EIO"},
                                                         {"accept", "ECONNABORTED"},
                                                         {"connect", "ECONNREFUSED"},
                                                         {"recv", "ECONNRESET"},
                                                         {"send", "EPIPE"},
                                                         {"msgsnd", "EAGAIN"},
                                                         {"msgrcv", "ENOMSG"},
                                                         {"shmget", "ENOMEM"},
                                                         {"shmat", "ENOMEM"}};
  auto it = errors.find(call);
  if (it == errors.end()) throw std::invalid_argument("no errno chosen for " + call);
  return it->second;
}

std::string describe_end(const GroupRunResult& r) {
  if (r.timed_out) return "timed out";
  if (r.result.term_signal) return "killed by signal " + std::to_string(r.result.term_signal);
  return "exit " + std::to_string(r.result.exit_code);
}

}  // namespace

CorpusRun run_native(const CorpusEntry& entry) { return run(entry, {}, false); }

CorpusRun run_preloaded(const CorpusEntry& entry, const std::vector<std::string>& faults) {
  return run(entry, faults, true);
}

std::vector<std::string> rules_for_another_process(const CorpusEntry& entry) {
  std::vector<std::string> calls = entry.makes;
  for (const char* common : {"read", "write", "accept"}) {
    if (std::find(calls.begin(), calls.end(), common) == calls.end()) calls.push_back(common);
  }
  std::vector<std::string> rules;
  for (const auto& call : calls)
    rules.push_back(call + ":error=" + error_for(call) + ":process=nobody");
  return rules;
}

std::vector<std::string> witness_rules(const CorpusEntry& entry) {
  std::vector<std::string> rules;
  for (const auto& call : entry.makes) {
    rules.push_back(call + ":error=" + error_for(call) + ":nth=1000000000");
  }
  return rules;
}

std::string difference(const CorpusRun& expected, const CorpusRun& actual) {
  std::string diff;
  if (describe_end(expected.run) != describe_end(actual.run)) {
    diff += "ended with " + describe_end(actual.run) + " instead of " + describe_end(expected.run) +
            "\n";
  }
  const std::string& a = expected.run.result.out;
  const std::string& b = actual.run.result.out;
  if (a != b) {
    auto at = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
    std::size_t offset = static_cast<std::size_t>(at.first - a.begin());
    std::size_t line = 1 + static_cast<std::size_t>(std::count(a.begin(), at.first, '\n'));
    std::size_t start = a.rfind('\n', offset == 0 ? 0 : offset - 1);
    start = start == std::string::npos || offset == 0 ? 0 : start + 1;
    auto line_of = [start](const std::string& s) {
      return s.substr(start, s.find('\n', start) == std::string::npos
                                 ? std::string::npos
                                 : s.find('\n', start) - start);
    };
    diff += "stdout differs at byte " + std::to_string(offset) + " (line " + std::to_string(line) +
            "; " + std::to_string(b.size()) + " bytes instead of " + std::to_string(a.size()) +
            ")\n  expected: " + line_of(a) + "\n  actual:   " + line_of(b) + "\n";
  }
  return diff;
}

}  // namespace faultline::test
