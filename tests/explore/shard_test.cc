// `faultline explore` across machines and at its edges, through the real build/bin/faultline:
// shards of one plan through every CI convention (--shard, Bazel, GoogleTest, GitLab,
// Kubernetes) merged into the unsharded result; wrong shard inputs; the sharding variables
// kept from the programs under test; Ctrl-C in the middle of an exploration; JUnit; exit
// statuses.
//
// The subject of the shard checks is short_read (naive) with --kinds error,short,eof: every
// one of its points gets the same verdict and detail in every run, so two runs of one plan
// compare equal. Its crash points (signal=SIGKILL on the reader) do not: whether the writer
// had written everything before the reader died is a race, and the verdict's detail names
// whichever process noticed.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "processes/spawn_program.h"
#include "support.h"
#include "util/unique_fd.h"

extern char** environ;

namespace fs = std::filesystem;
using faultline::test::build_dir;
using faultline::test::CommandResult;
using faultline::test::faultline_exe;
using faultline::test::NothingLeftBehind;
using faultline::test::run_command;
using faultline::test::run_faultline;
using faultline::test::TempDir;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

// The variables CI engines shard with (explore_command.cc reads and removes them).
const std::vector<std::string> kShardVariables{
    "TEST_SHARD_INDEX",  "TEST_TOTAL_SHARDS",  "TEST_SHARD_STATUS_FILE",
    "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "GTEST_SHARD_STATUS_FILE",
    "CI_NODE_INDEX",     "CI_NODE_TOTAL",      "JOB_COMPLETION_INDEX"};

// This test may itself run in a sharded CI job: what it does not set, faultline must not see.
void forget_inherited_shard_variables() {
  for (const auto& v : kShardVariables) ::unsetenv(v.c_str());
}

std::string subject(const std::string& name) {
  return (build_dir() / "tests/explore/scenarios" / (name + ".yaml")).string();
}

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + " (signal " + std::to_string(r.term_signal) +
         ")\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

json load(const std::string& file) {
  std::ifstream in(file);
  INFO("reading " << file);
  REQUIRE(in.good());
  return json::parse(in);
}

// The document without its timings: what an unsharded run and a merge of shards share.
json without_timings(const json& j) {
  if (j.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : j.items())
      if (k != "duration_ms") out[k] = without_timings(v);
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& v : j) out.push_back(without_timings(v));
    return out;
  }
  return j;
}

// The ids of the points that ran (they have a verdict), of a one-scenario document.
std::set<std::string> points_run(const json& doc) {
  std::set<std::string> ids;
  for (const auto& p : doc.at("scenarios").at(0).at("points"))
    if (p.contains("verdict")) ids.insert(p.at("id").get<std::string>());
  return ids;
}

std::set<std::string> all_points(const json& doc) {
  std::set<std::string> ids;
  for (const auto& p : doc.at("scenarios").at(0).at("points"))
    ids.insert(p.at("id").get<std::string>());
  return ids;
}

// One way of telling explore which shard it is: its arguments and environment for shard
// `index` (0-based) of 3.
struct Convention {
  std::string name;
  std::vector<std::string> (*args)(unsigned index);
  std::vector<std::string> (*env)(unsigned index, const TempDir& dir);
};

const std::vector<Convention>& conventions() {
  static const std::vector<Convention> all{
      {"--shard I/N",
       [](unsigned i) {
         return std::vector<std::string>{"--shard", std::to_string(i + 1) + "/3"};
       },
       [](unsigned, const TempDir&) { return std::vector<std::string>{}; }},
      {"Bazel", [](unsigned) { return std::vector<std::string>{}; },
       [](unsigned i, const TempDir& dir) {
         return std::vector<std::string>{
             "TEST_SHARD_INDEX=" + std::to_string(i), "TEST_TOTAL_SHARDS=3",
             "TEST_SHARD_STATUS_FILE=" + dir / ("bazel-status-" + std::to_string(i))};
       }},
      {"GoogleTest", [](unsigned) { return std::vector<std::string>{}; },
       [](unsigned i, const TempDir&) {
         return std::vector<std::string>{"GTEST_SHARD_INDEX=" + std::to_string(i),
                                         "GTEST_TOTAL_SHARDS=3"};
       }},
      {"GitLab", [](unsigned) { return std::vector<std::string>{}; },
       [](unsigned i, const TempDir&) {
         return std::vector<std::string>{"CI_NODE_INDEX=" + std::to_string(i + 1),
                                         "CI_NODE_TOTAL=3"};
       }},
      {"Kubernetes",
       [](unsigned) {
         return std::vector<std::string>{"--shards", "3"};
       },
       [](unsigned i, const TempDir&) {
         return std::vector<std::string>{"JOB_COMPLETION_INDEX=" + std::to_string(i)};
       }},
  };
  return all;
}

// The JUnit file through python3's strict XML parser, as JSON: the root's counts and every
// testcase with its failure (type, message, text) or null.
json junit_view(const std::string& xml) {
  CommandResult r = run_command(
      {"python3", "-c",
       "import json, sys, xml.etree.ElementTree as E\n"
       "r = E.parse(sys.argv[1]).getroot()\n"
       "cases = []\n"
       "for t in r.iter('testcase'):\n"
       "  f = t.find('failure')\n"
       "  cases.append({'name': t.get('name'), 'classname': t.get('classname'),\n"
       "                'failure': None if f is None else\n"
       "                  {'type': f.get('type'), 'message': f.get('message'), 'text': f.text}})\n"
       "print(json.dumps({'tests': r.get('tests'), 'failures': r.get('failures'),\n"
       "                  'testcases': cases}))\n",
       xml});
  INFO("python3 on " << xml << ":\n" << describe(r));
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

// A `faultline` started in the background, its output into files, for signalling it.
class BackgroundFaultline final {
 public:
  BackgroundFaultline(const std::vector<std::string>& args, const std::vector<std::string>& env,
                      const TempDir& dir)
      : out_(dir / "stdout"), err_(dir / "stderr") {
    std::vector<std::string> argv{faultline_exe().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
    env_store.insert(env_store.end(), env.begin(), env.end());  // later ones win in setenv
    env_store.emplace_back("NO_COLOR=1");
    // getenv takes the first entry of a name: keep only the last of each.
    std::map<std::string, std::string> by_name;
    for (const auto& e : env_store) by_name[e.substr(0, e.find('='))] = e;
    std::vector<std::string> envs;
    for (auto& [name, entry] : by_name) envs.push_back(entry);
    faultline::UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    faultline::UniqueFd out(::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    faultline::UniqueFd err(::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!devnull || !out || !err) throw std::runtime_error("cannot open faultline's output files");
    faultline::ProgramSpec spec;
    spec.argv = std::move(argv);
    spec.env = std::move(envs);
    spec.fds = {{0, devnull.get()}, {1, out.get()}, {2, err.get()}};
    faultline::StartOutcome started = faultline::spawn_program(spec);
    if (!started.child) throw std::runtime_error(started.message);
    pid_ = started.child->pid;
  }
  ~BackgroundFaultline() {
    if (pid_ > 0) {  // a failed check left it running: stop it as a user would
      ::kill(pid_, SIGINT);
      (void)wait();
    }
  }
  BackgroundFaultline(const BackgroundFaultline&) = delete;
  BackgroundFaultline& operator=(const BackgroundFaultline&) = delete;

  [[nodiscard]] bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    finish(status);
    return false;
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  CommandResult wait() {
    if (pid_ > 0) {
      finish(faultline::wait_for_exit(pid_));
    }
    result_.out = read_all(out_);
    result_.err = read_all(err_);
    return result_;
  }

 private:
  static std::string read_all(const std::string& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void finish(int status) {
    if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result_.term_signal = WTERMSIG(status);
    pid_ = -1;
  }
  pid_t pid_ = -1;
  std::string out_, err_;
  CommandResult result_;
};

// Processes whose environment holds this exact entry (the runs of one exploration inherit
// its TMPDIR): what is left of them.
std::vector<std::string> processes_with_env(const std::string& entry) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator("/proc", ec)) {
    const std::string pid = d.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(d.path() / "environ");
    std::string var;
    while (std::getline(in, var, '\0')) {
      if (var != entry) continue;
      std::ifstream cmd(d.path() / "cmdline");
      std::string argv0;
      std::getline(cmd, argv0, '\0');
      found.push_back(pid + " " + argv0);
      break;
    }
  }
  return found;
}

}  // namespace

TEST_CASE("explore: shards of one plan, through every convention, merge into the unsharded result",
          "[integration][explore][shard]") {
  forget_inherited_shard_variables();
  NothingLeftBehind guard;
  TempDir dir("flshard");
  const std::vector<std::string> twin{"FAULTLINE_TWIN=naive"};

  CommandResult planned =
      run_faultline({"explore", subject("short_read"), "--kinds", "error,short,eof", "--plan-only",
                     "--json", dir / "plan.json"},
                    twin);
  INFO("plan: " << describe(planned));
  REQUIRE(planned.exit_code == 0);
  const json plan = load(dir / "plan.json");
  REQUIRE(plan.at("kind") == "plan");
  const std::set<std::string> every_point = all_points(plan);
  REQUIRE(every_point.size() >= 6);
  CHECK(points_run(plan).empty());

  CommandResult whole =
      run_faultline({"explore", "--plan", dir / "plan.json", "--json", dir / "all.json"}, twin);
  INFO("unsharded: " << describe(whole));
  REQUIRE(whole.exit_code == 1);  // short_read's naive twin has its bug
  const json all = load(dir / "all.json");
  REQUIRE(points_run(all) == every_point);
  REQUIRE(!all.at("scenarios").at(0).at("findings").empty());
  const json expected = without_timings(all);

  // The points of shard i, as --shard I/N chose them: every other convention must agree.
  std::vector<std::set<std::string>> by_shard_option;
  std::vector<std::string> parts_of_first;
  for (const Convention& c : conventions()) {
    INFO("convention " << c.name);
    std::vector<std::string> parts;
    std::set<std::string> seen;
    for (unsigned i = 0; i < 3; ++i) {
      INFO("shard index " << i << " of 3");
      const std::string part = dir / (c.name.substr(0, 2) + "-part" + std::to_string(i) + ".json");
      std::vector<std::string> args{"explore", "--plan", dir / "plan.json", "--json", part};
      for (const auto& a : c.args(i)) args.push_back(a);
      std::vector<std::string> env = c.env(i, dir);
      env.insert(env.end(), twin.begin(), twin.end());
      CommandResult r = run_faultline(args, env);
      INFO(describe(r));
      const json doc = load(part);
      const json& s = doc.at("scenarios").at(0);
      CHECK(s.at("shard").at("index") == i);
      CHECK(s.at("shard").at("total") == 3);
      CHECK(r.exit_code == (s.at("findings").empty() ? 0 : 1));
      CHECK_THAT(r.out, Catch::Contains("shard     " + std::to_string(i + 1) + "/3"));
      const std::set<std::string> ran = points_run(doc);
      for (const auto& id : ran) {
        INFO("point " << id);
        CHECK(seen.insert(id).second);  // no point runs in two shards
      }
      if (by_shard_option.size() < 3)
        by_shard_option.push_back(ran);
      else
        CHECK(ran == by_shard_option[i]);
      if (c.name == "Bazel")
        CHECK(fs::exists(dir / ("bazel-status-" + std::to_string(i))));  // touched for Bazel
      parts.push_back(part);
    }
    CHECK(seen == every_point);  // every point runs in one of the shards

    std::vector<std::string> merge_args{"merge"};
    merge_args.insert(merge_args.end(), parts.begin(), parts.end());
    merge_args.push_back("--json");
    merge_args.push_back(dir / (c.name.substr(0, 2) + "-merged.json"));
    CommandResult merged = run_faultline(merge_args);
    INFO("merge: " << describe(merged));
    CHECK(merged.exit_code == 1);  // it has findings
    const json joined = without_timings(load(dir / (c.name.substr(0, 2) + "-merged.json")));
    INFO("unsharded:\n" << expected.dump(1) << "\nmerged:\n" << joined.dump(1));
    CHECK(joined == expected);
    if (parts_of_first.empty()) parts_of_first = parts;
  }

  {  // GitLab's CI_NODE_TOTAL=1 of a job without parallel: is no sharding
    CommandResult r =
        run_faultline({"explore", "--plan", dir / "plan.json", "--json", dir / "gitlab-one.json"},
                      {"CI_NODE_TOTAL=1", "FAULTLINE_TWIN=naive"});
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(points_run(load(dir / "gitlab-one.json")) == every_point);
  }

  {  // merge refuses a point run twice
    CommandResult r = run_faultline(
        {"merge", parts_of_first[0], parts_of_first[1], parts_of_first[2], dir / "all.json"});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("was run by two shards"));
    CommandResult same = run_faultline({"merge", parts_of_first[0], parts_of_first[0]});
    INFO(describe(same));
    if (!points_run(load(parts_of_first[0])).empty()) {
      CHECK(same.exit_code == 2);
      CHECK_THAT(same.err, Catch::Contains("was run by two shards"));
    }
  }

  {  // merge refuses parts of different plans
    // Another plan of the same scenario: other kinds, so other points.
    CommandResult other = run_faultline({"explore", subject("short_read"), "--kinds", "short",
                                         "--plan-only", "--json", dir / "other-plan.json"},
                                        twin);
    INFO(describe(other));
    REQUIRE(other.exit_code == 0);
    CommandResult part = run_faultline({"explore", "--plan", dir / "other-plan.json", "--shard",
                                        "2/3", "--json", dir / "other-part.json"},
                                       twin);
    INFO(describe(part));
    REQUIRE((part.exit_code == 0 || part.exit_code == 1));
    CommandResult r =
        run_faultline({"merge", parts_of_first[0], dir / "other-part.json", parts_of_first[2]});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("planned scenario explore-short-read differently"));
  }
}

TEST_CASE("explore: a wrong shard is bad input (exit 2), before anything runs",
          "[integration][explore][shard]") {
  forget_inherited_shard_variables();
  NothingLeftBehind guard;
  TempDir dir("flshard");
  struct Wrong {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string message;
  };
  const std::vector<Wrong> wrong{
      {{"--shard", "0/3"}, {}, "shard 0 of 3 does not exist"},
      {{"--shard", "4/3"}, {}, "shard 4 of 3 does not exist"},
      {{"--shard", "1/0"}, {}, "must be numbers"},
      {{"--shard", "x"}, {}, "write I/N"},
      {{"--shard", "2"}, {}, "write I/N"},
      {{"--shard", "1/3x"}, {}, "write I/N"},
      {{"--shard", "1/3/4"}, {}, "write I/N"},
      {{"--shard", "-1/3"}, {}, "write I/N"},
      {{}, {"TEST_SHARD_INDEX=3", "TEST_TOTAL_SHARDS=3"}, "Bazel: shard 3 of 3 does not exist"},
      {{}, {"TEST_SHARD_INDEX=one", "TEST_TOTAL_SHARDS=3"}, "Bazel: the shard index"},
      {{}, {"TEST_TOTAL_SHARDS=3"}, "Bazel: the shard index"},
      {{}, {"TEST_SHARD_INDEX=4294967296", "TEST_TOTAL_SHARDS=3"}, "Bazel: the shard index"},
      {{}, {"GTEST_SHARD_INDEX=5", "GTEST_TOTAL_SHARDS=3"}, "GoogleTest: shard 5 of 3"},
      {{}, {"CI_NODE_INDEX=0", "CI_NODE_TOTAL=3"}, "GitLab: shard 0 of 3 does not exist"},
      {{}, {"CI_NODE_INDEX=4", "CI_NODE_TOTAL=3"}, "GitLab: shard 4 of 3 does not exist"},
      {{"--shards", "3"}, {"JOB_COMPLETION_INDEX=3"}, "Kubernetes: shard 3 of 3 does not exist"},
      {{}, {"JOB_COMPLETION_INDEX=0"}, "--shards N"},
      {{"--shards", "3"}, {}, "--shards N goes with JOB_COMPLETION_INDEX"},
  };
  for (const Wrong& w : wrong) {
    std::vector<std::string> args{"explore", subject("short_read"), "--json", dir / "out.json"};
    args.insert(args.end(), w.args.begin(), w.args.end());
    std::vector<std::string> env = w.env;
    env.emplace_back("FAULTLINE_TWIN=naive");
    CommandResult r = run_faultline(args, env);
    std::string shown;
    for (const auto& a : w.args) shown += a + " ";
    for (const auto& e : w.env) shown += e + " ";
    INFO(shown << "\n" << describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(w.message));
    CHECK_FALSE(fs::exists(dir / "out.json"));  // stopped before the baseline
  }
}

TEST_CASE("explore: the sharding variables do not reach the programs under test",
          "[integration][explore][shard]") {
  forget_inherited_shard_variables();
  NothingLeftBehind guard;
  TempDir dir("flshard");
  // Every one of them, set as the engines set them (Bazel's say "one shard": every point
  // runs here; the others are read after Bazel's, but must be removed all the same).
  const std::vector<std::string> engines{"TEST_SHARD_INDEX=0",
                                         "TEST_TOTAL_SHARDS=1",
                                         "TEST_SHARD_STATUS_FILE=" + dir / "bazel-status",
                                         "GTEST_SHARD_INDEX=0",
                                         "GTEST_TOTAL_SHARDS=1",
                                         "GTEST_SHARD_STATUS_FILE=" + dir / "gtest-status",
                                         "CI_NODE_INDEX=1",
                                         "CI_NODE_TOTAL=1",
                                         "JOB_COMPLETION_INDEX=0"};

  SECTION("the scenario fails when one of them reaches it (so the check can fail)") {
    for (const auto& v : engines) {
      CommandResult r = run_faultline({"run", subject("shard_env")}, {v});
      INFO(v << "\n" << describe(r));
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.out + r.err, Catch::Contains(v.substr(0, v.find('=')) + "="));
    }
    CommandResult clean = run_faultline({"run", subject("shard_env")});
    INFO(describe(clean));
    CHECK(clean.exit_code == 0);
  }

  SECTION("explored with all of them set: the baseline passes and every point runs") {
    CommandResult r =
        run_faultline({"explore", subject("shard_env"), "--json", dir / "env.json"}, engines);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("baseline  2 runs passed"));
    CHECK(fs::exists(dir / "bazel-status"));
    const json doc = load(dir / "env.json");
    const json& s = doc.at("scenarios").at(0);
    CHECK(s.at("shard").at("total") == 1);
    REQUIRE(!s.at("points").empty());
    CHECK(points_run(doc) == all_points(doc));
    // A guard that failed at once would leave every fault unreached.
    const json& verdicts = doc.at("summary").at("verdicts");
    CHECK(verdicts.value("absorbed", 0) > 0);
    CHECK(verdicts.value("unreached", 0) == 0);
    for (const auto& p : s.at("points")) {
      INFO(p.at("id"));
      CHECK_THAT(p.at("detail").get<std::string>(),
                 !Catch::Contains("reached the program under test"));
    }
  }
}

TEST_CASE("explore: Ctrl-C reports what finished, exits 130 and leaves nothing behind",
          "[integration][explore][shard][interrupt]") {
  forget_inherited_shard_variables();
  NothingLeftBehind guard;
  TempDir dir("flshard");
  TempDir runs_tmp("flshard-tmp");  // the runs' TMPDIR: their folders, and their mark
  const std::vector<std::string> env{"FAULTLINE_TWIN=naive", "TMPDIR=" + runs_tmp.path().string()};

  // msgrcv_eintr's naive twin: its first points leave the sender waiting until the 5 s
  // timeout, so runs are still in flight when the signal comes.
  CommandResult planned = run_faultline(
      {"explore", subject("msgrcv_eintr"), "--plan-only", "--json", dir / "plan.json"}, env);
  INFO("plan: " << describe(planned));
  REQUIRE(planned.exit_code == 0);
  const std::size_t planned_points = all_points(load(dir / "plan.json")).size();

  constexpr unsigned kJobs = 2;
  BackgroundFaultline explore({"explore", "--plan", dir / "plan.json", "-j", std::to_string(kJobs),
                               "--json", dir / "result.json"},
                              env, dir);
  // Each point run makes its run folder in TMPDIR and removes it when it ends; with -j2, a
  // third one means a run has finished (the next point starts only when one of the two
  // running ones is done). Signal once that is so and a run is in flight.
  std::set<std::string> run_folders;
  std::size_t in_flight = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (run_folders.size() <= kJobs || in_flight == 0) {
    REQUIRE(explore.running());
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    in_flight = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(runs_tmp.path(), ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("faultline-explore-msgrcv-eintr-", 0) != 0) continue;
      run_folders.insert(name);
      ++in_flight;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling the folders
  }
  explore.signal(SIGINT);
  CommandResult r = explore.wait();
  INFO(describe(r));

  // Nothing of the runs is left: no process, no folder (the guard sees IPC objects).
  CHECK(processes_with_env("TMPDIR=" + runs_tmp.path().string()).empty());
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(runs_tmp.path())) left.push_back(e.path());
  INFO("left in the runs' TMPDIR: " << left.size());
  CHECK(left.empty());

  CHECK(r.exit_code == 130);
  CHECK_THAT(r.out, Catch::Contains("interrupted: what finished is reported"));
  const json doc = load(dir / "result.json");
  const json& s = doc.at("scenarios").at(0);
  CHECK(s.at("interrupted") == true);
  const std::size_t finished = points_run(doc).size();
  CHECK(finished >= 1);
  CHECK(finished < planned_points);
  CHECK(s.at("points_run") == finished);
  CHECK_THAT(r.out, Catch::Contains("ran       " + std::to_string(finished) + " point"));
}

TEST_CASE("explore --junit: one failing testcase per finding with its repro, or one passing",
          "[integration][explore][shard][junit]") {
  forget_inherited_shard_variables();
  NothingLeftBehind guard;
  TempDir dir("flshard");

  SECTION("findings") {
    CommandResult r = run_faultline({"explore", subject("short_read"), "--kinds", "error,short,eof",
                                     "--json", dir / "r.json", "--junit", dir / "r.xml"},
                                    {"FAULTLINE_TWIN=naive"});
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    const json findings = load(dir / "r.json").at("scenarios").at(0).at("findings");
    REQUIRE(!findings.empty());
    const json view = junit_view(dir / "r.xml");
    INFO(view.dump(1));
    CHECK(view.at("tests") == std::to_string(findings.size()));
    CHECK(view.at("failures") == std::to_string(findings.size()));
    REQUIRE(view.at("testcases").size() == findings.size());
    for (std::size_t i = 0; i < findings.size(); ++i) {
      const json& f = findings[i];
      const json& t = view.at("testcases")[i];
      REQUIRE(!t.at("failure").is_null());
      CHECK(t.at("classname") == "explore.explore-short-read");
      CHECK(t.at("failure").at("type") == f.at("class"));
      CHECK(t.at("failure").at("message") == f.at("detail"));
      CHECK_THAT(t.at("failure").at("text").get<std::string>(),
                 Catch::Contains("repro: " + f.at("repro").get<std::string>()));
    }
  }

  SECTION("no finding") {
    CommandResult r = run_faultline(
        {"explore", subject("short_read"), "--kinds", "error,short,eof", "--junit", dir / "r.xml"},
        {"FAULTLINE_TWIN=robust"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    const json view = junit_view(dir / "r.xml");
    INFO(view.dump(1));
    CHECK(view.at("tests") == "1");
    CHECK(view.at("failures") == "0");
    REQUIRE(view.at("testcases").size() == 1);
    CHECK(view.at("testcases")[0].at("failure").is_null());
    CHECK_THAT(view.at("testcases")[0].at("name").get<std::string>(),
               Catch::Contains("no finding"));
  }
}

TEST_CASE("explore and merge --tap -: a test point per finding, read by prove",
          "[integration][explore][shard][tap]") {
  forget_inherited_shard_variables();
  NothingLeftBehind guard;
  TempDir dir("flshard");
  const std::string json_file = (dir.path() / "r.json").string();
  // What prove runs: explore writes its TAP to stdout and its report to stderr.
  CommandResult r =
      run_command({"prove", "-v", "-e",
                   faultline_exe().string() + " explore --kinds error,short,eof --json " +
                       json_file + " --tap -",
                   subject("short_read")},
                  {"FAULTLINE_TWIN=naive"});
  INFO(describe(r));
  const json findings = load(json_file).at("scenarios").at(0).at("findings");
  REQUIRE(!findings.empty());
  const std::string count = std::to_string(findings.size());
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains("Tests=" + count));
  CHECK_THAT(r.out, Catch::Contains("Failed " + count + "/" + count + " subtests"));
  CHECK_THAT(r.out, !Catch::Contains("Parse errors"));
  for (const auto& f : findings)
    CHECK_THAT(r.out, Catch::Contains("  repro: " + json(f.at("repro")).dump()));

  // merge of that one result: the same test points.
  CommandResult merged = run_faultline({"merge", json_file, "--tap", "-"});
  INFO(describe(merged));
  CHECK(merged.exit_code == 1);
  CHECK(merged.out.rfind("TAP version 13\n1.." + count + "\n", 0) == 0);
  CHECK_THAT(merged.err, Catch::Contains("finding"));  // the report, on stderr
  std::size_t not_ok = 0;
  std::istringstream lines(merged.out);
  for (std::string line; std::getline(lines, line);) not_ok += line.rfind("not ok ", 0) == 0;
  CHECK(not_ok == findings.size());
}

TEST_CASE("explore: a baseline that does not pass is bad input (exit 2), naming the run",
          "[integration][explore][shard]") {
  forget_inherited_shard_variables();
  NothingLeftBehind guard;

  SECTION("it fails in the first run") {
    TempScenario s(R"y(scenario: fails-on-its-own
processes:
  p:
    run: "echo broken >&2; exit 3"
)y");
    CommandResult r = run_faultline({"explore", s.path().string()});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("the baseline (the scenario without added faults) failed "
                                      "in run 1 of 2"));
    CHECK_THAT(r.out, Catch::Contains("exit"));
  }

  SECTION("it fails in the second run only") {
    // The first run leaves a mark next to the scenario; the second one finds it and fails.
    TempScenario s(R"y(scenario: fails-the-second-time
processes:
  p:
    run: "if [ -e '${scenario_dir}/ran' ]; then echo again >&2; exit 3; fi; touch '${scenario_dir}/ran'"
)y");
    CommandResult r = run_faultline({"explore", s.path().string(), "--plan-only"});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("failed in run 2 of 2"));
  }

  SECTION("a subject broken by a fault of its own") {
    // short_read with the fault that reveals its naive twin's bug in its own faults: block,
    // the programs named by their absolute path.
    std::ifstream in(subject("short_read"));
    std::stringstream original;
    original << in.rdbuf();
    std::string yaml = original.str();
    const std::string relative = "${scenario_dir}/../programs";
    const std::string programs = (build_dir() / "tests/explore/programs").string();
    for (auto at = yaml.find(relative); at != std::string::npos; at = yaml.find(relative))
      yaml.replace(at, relative.size(), programs);
    yaml += "\nfaults:\n  - { process: reader, call: read, short: 1 }\n";
    TempScenario s(yaml);
    CommandResult r = run_faultline({"explore", s.path().string()}, {"FAULTLINE_TWIN=naive"});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("failed in run 1 of 2"));
    CHECK_THAT(r.out, Catch::Contains("reader"));
  }
}
