// Unit tests of explore's verdict classes: each class from the run result that means it.
#include "explore/verdict.h"

#include <csignal>

#include <catch2/catch.hpp>

#include "faultline/fault_spec.h"

using namespace faultline;
using namespace faultline::explore;

namespace {

struct Fixture {
  Plan plan;
  Point point;
  ScenarioResult result;

  explicit Fixture(const std::string& action, FaultClass cls, const std::string& kind = "error",
                   const std::string& call = "accept4") {
    Site site;
    site.call.process = "server";
    site.call.call = call;
    site.call.site = "server+0x10";
    site.reached = 3;
    plan.sites.push_back(site);
    point.site = 0;
    point.kind = kind;
    point.action = action;
    point.cls = cls;
    point.nth = 1;
    point.spec = "server/" + call + ":" + action + ":site=server+0x10:nth=1";
    Diagnostics diags;
    auto spec = parse_fault_spec(point.spec + ":optional", diags);
    REQUIRE(spec);
    FaultResult f;
    f.spec = spec->to_string();
    f.hits = 1;
    f.fired = 1;
    f.optional = true;
    result.faults.push_back(f);
    result.passed = true;
    result.processes.push_back(exited("server", 0));
    result.processes.push_back(exited("client", 0));
  }
  static ProcessResult exited(const std::string& name, int code) {
    ProcessResult p;
    p.name = name;
    p.started = true;
    p.exit_code = code;
    return p;
  }
  ProcessResult& process(const std::string& name) {
    for (auto& p : result.processes)
      if (p.name == name) return p;
    FAIL("no process " << name);
    throw;
  }
  void violate(const std::string& kind, const std::string& process, const std::string& message) {
    result.passed = false;
    result.violations.push_back({kind, process, message});
  }
  Outcome classify(const ScenarioResult* baseline = nullptr, bool compare = false) const {
    return explore::classify(plan, point, result, {compare, baseline});
  }
};

}  // namespace

TEST_CASE("Every expectation held: absorbed", "[explore][verdict]") {
  Fixture f("error=EMFILE", FaultClass::transient);
  CHECK(f.classify().verdict == Verdict::absorbed);
}

TEST_CASE("A fault that never fired: unreached, whatever else happened", "[explore][verdict]") {
  Fixture f("error=EMFILE", FaultClass::transient);
  f.result.faults[0].fired = 0;
  f.violate("exit", "client", "client: exited with status 1, expected 0");
  CHECK(f.classify().verdict == Verdict::unreached);
}

TEST_CASE("A fault flagged unrealistic is no finding", "[explore][verdict]") {
  Fixture f("error=EINTR", FaultClass::transient);
  f.result.faults[0].unrealistic = 1;
  f.result.faults[0].unrealistic_why = "eintr-no-handler";
  f.violate("exit", "server", "server: exited with status 1, expected 0");
  auto o = f.classify();
  CHECK(o.verdict == Verdict::unrealistic);
  CHECK_FALSE(is_bug(o.verdict));
}

TEST_CASE("A run that could not be set up is no verdict", "[explore][verdict]") {
  Fixture f("error=EMFILE", FaultClass::transient);
  f.violate("setup", "", "msgget: No space left on device");
  CHECK(f.classify().verdict == Verdict::setup);
}

TEST_CASE("A process killed by a signal nobody sent: crash", "[explore][verdict]") {
  Fixture f("error=ENOMEM", FaultClass::hard);
  f.process("client").exit_code.reset();
  f.process("client").term_signal = SIGSEGV;
  f.violate("signal", "client", "client: killed by SIGSEGV");
  auto o = f.classify();
  CHECK(o.verdict == Verdict::crash);
  CHECK(o.process == "client");
}

TEST_CASE("The faulted process dying of the injected signal is the fault, not a crash",
          "[explore][verdict]") {
  Fixture f("signal=SIGKILL", FaultClass::hard, "crash");
  f.process("server").exit_code.reset();
  f.process("server").term_signal = SIGKILL;
  f.violate("signal", "server", "server: killed by SIGKILL");
  CHECK(f.classify().verdict == Verdict::clean_failure);
  SECTION("what it did not do afterwards is no wrong result") {
    f.violate("stdout", "server", "server: stdout does not contain \"done\"");
    CHECK(f.classify().verdict == Verdict::clean_failure);
  }
  SECTION("a writer ended by SIGPIPE because it went away is no crash") {
    f.process("client").exit_code.reset();
    f.process("client").term_signal = SIGPIPE;
    f.violate("signal", "client", "client: killed by SIGPIPE");
    CHECK(f.classify().verdict == Verdict::clean_failure);
  }
  SECTION("another process that exited 0 with a wrong output is a silent wrong result") {
    f.violate("stdout", "client", "client: stdout does not contain \"ok\"");
    CHECK(f.classify().verdict == Verdict::silent_wrong_result);
  }
  SECTION("but another process left hanging by it is a hang") {
    f.result.timed_out = true;
    f.violate("timeout", "", "timed out after 10s");
    CHECK(f.classify().verdict == Verdict::hang);
  }
}

TEST_CASE("A timeout: hang, naming who is blocked where", "[explore][verdict]") {
  Fixture f("error=ECONNABORTED", FaultClass::transient);
  f.result.timed_out = true;
  f.process("client").killed_at_timeout = true;
  f.process("client").term_signal = SIGKILL;
  f.process("client").exit_code.reset();
  f.process("client").at_timeout.push_back(
      {42, "client", "S (sleeping)", "read(3, ...)", "unix_stream_read_generic", ""});
  f.violate("timeout", "", "timed out after 10s");
  auto o = f.classify();
  CHECK(o.verdict == Verdict::hang);
  CHECK(o.process == "client");
  CHECK(o.detail.find("read(3") != std::string::npos);
}

TEST_CASE("A peer left waiting where nothing tells it the other side died: stranded",
          "[explore][verdict]") {
  Fixture f("signal=SIGKILL", FaultClass::hard, "crash");
  f.process("server").exit_code.reset();
  f.process("server").term_signal = SIGKILL;
  f.violate("signal", "server", "server: killed by SIGKILL");
  f.result.timed_out = true;
  f.violate("timeout", "", "timed out after 5s");
  auto& client = f.process("client");
  client.exit_code.reset();
  client.killed_at_timeout = true;
  SECTION("in msgrcv: a System V queue has no owner to lose") {
    client.at_timeout.push_back(
        {7, "client", "S (sleeping)", "msgrcv(3, 0x7ff, 64, 0, 0)", "do_msgrcv", ""});
    auto o = f.classify();
    CHECK(o.verdict == Verdict::stranded);
    CHECK_FALSE(is_bug(o.verdict));
  }
  SECTION("in read on a pipe or socket: it would have seen EOF, so it is a hang") {
    client.at_timeout.push_back(
        {7, "client", "S (sleeping)", "read(3, 0x7ff, 64)", "pipe_read", ""});
    CHECK(f.classify().verdict == Verdict::hang);
  }
  SECTION("after a transient fault, waiting forever is a hang wherever it waits") {
    f.point.cls = FaultClass::transient;
    client.at_timeout.push_back(
        {7, "client", "S (sleeping)", "msgrcv(3, 0x7ff, 64, 0, 0)", "do_msgrcv", ""});
    CHECK(f.classify().verdict == Verdict::hang);
  }
}

TEST_CASE("An object left behind: leak", "[explore][verdict]") {
  Fixture f("error=ENOMEM", FaultClass::hard);
  f.process("server").exit_code = 1;
  f.process("server").stderr_text = "shmat: Cannot allocate memory\n";
  f.violate("exit", "server", "server: exited with status 1, expected 0");
  f.violate("leaks", "", "server left System V shared memory id 3 behind");
  f.result.leaks.push_back({"server", 1, "shmget", "System V shared memory id 3", true});
  CHECK(f.classify().verdict == Verdict::leak);
}

TEST_CASE("Everyone exited as expected but an output was wrong: silent wrong result",
          "[explore][verdict]") {
  Fixture f("short=1", FaultClass::transient, "short", "recv");
  f.violate("stdout", "client", "client: stdout does not contain \"100 records ok\"");
  auto o = f.classify();
  CHECK(o.verdict == Verdict::silent_wrong_result);
  CHECK(o.process == "client");
}

TEST_CASE("A transient fault that made a process fail: not absorbed", "[explore][verdict]") {
  Fixture f("error=EINTR", FaultClass::transient);
  f.process("server").exit_code = 1;
  f.process("server").stderr_text = "accept: Interrupted system call\n";
  f.violate("exit", "server", "server: exited with status 1, expected 0");
  auto o = f.classify();
  CHECK(o.verdict == Verdict::not_absorbed);
  CHECK(o.process == "server");
}

TEST_CASE("The faulted process carried on, another one failed: propagated", "[explore][verdict]") {
  Fixture f("error=ENOMEM", FaultClass::hard);
  f.process("client").exit_code = 1;
  f.violate("exit", "client", "client: exited with status 1, expected 0");
  auto o = f.classify();
  CHECK(o.verdict == Verdict::propagated);
  CHECK(o.process == "client");
}

TEST_CASE("A hang names the tasks that could not finish before the services that wait",
          "[explore][verdict]") {
  Fixture f("error=EMFILE", FaultClass::transient);
  f.result.timed_out = true;
  f.violate("timeout", "", "timed out after 5s");
  f.process("server").service = true;
  f.process("server").at_timeout.push_back(
      {5, "server", "S", "epoll_wait(3, ...)", "do_epoll_wait", ""});
  f.process("client").at_timeout.push_back(
      {6, "client", "S", "recvfrom(4, ...)", "unix_stream_read_generic", ""});
  auto o = f.classify();
  CHECK(o.verdict == Verdict::hang);
  CHECK(o.process == "client");
  CHECK(o.detail.find("client (pid 6) was blocked in recvfrom") < o.detail.find("server (pid 5)"));
}

TEST_CASE("A hard fault that ended another process's work: its failing and saying why is clean",
          "[explore][verdict]") {
  SECTION("a server drops the connection a hard error hit; the client says why") {
    Fixture f("error=ECONNRESET", FaultClass::hard, "error", "recv");
    f.process("client").exit_code = 1;
    f.process("client").stderr_text = "client: connection closed by the server\n";
    f.violate("exit", "client", "client: exited with status 1, expected 0");
    CHECK(f.classify().verdict == Verdict::clean_failure);
  }
  SECTION("the same after a transient fault is a finding") {
    Fixture f("error=EINTR", FaultClass::transient, "error", "recv");
    f.process("client").exit_code = 1;
    f.process("client").stderr_text = "client: connection closed by the server\n";
    f.violate("exit", "client", "client: exited with status 1, expected 0");
    CHECK(f.classify().verdict == Verdict::propagated);
  }
}

TEST_CASE("A reset reaches the peer: its failing and saying why is clean", "[explore][verdict]") {
  Fixture f("reset", FaultClass::hard, "reset", "send");
  f.process("client").exit_code = 1;
  f.violate("exit", "client", "client: exited with status 1, expected 0");
  CHECK(f.classify().verdict == Verdict::propagated);
  f.process("client").stderr_text = "recv: Connection reset by peer\n";
  CHECK(f.classify().verdict == Verdict::clean_failure);
  SECTION("its own output, wrong because it gave up, is part of giving up") {
    f.violate("stdout", "client", "client: stdout does not equal \"10 lines\"");
    CHECK(f.classify().verdict == Verdict::clean_failure);
  }
}

TEST_CASE("A reset's peer that reports success with less data: silent wrong result",
          "[explore][verdict]") {
  Fixture f("reset", FaultClass::hard, "reset", "send");
  f.violate("stdout", "client", "client: stdout does not equal \"10 lines\"");
  CHECK(f.classify().verdict == Verdict::silent_wrong_result);
}

TEST_CASE("What a process killed at the call left behind is no leak; what others left is",
          "[explore][verdict]") {
  Fixture f("signal=SIGKILL", FaultClass::hard, "crash");
  f.process("server").exit_code.reset();
  f.process("server").term_signal = SIGKILL;
  f.violate("signal", "server", "server: killed by SIGKILL");
  f.violate("leaks", "", "server left System V message queue id 5 behind");
  f.result.leaks.push_back({"server", 9, "msgget", "System V message queue id 5", true});
  CHECK(f.classify().verdict == Verdict::clean_failure);
  f.result.leaks.push_back({"client", 10, "msgget", "System V message queue id 6", true});
  CHECK(f.classify().verdict == Verdict::leak);
}

TEST_CASE("A service killed at the call is the fault too", "[explore][verdict]") {
  Fixture f("signal=SIGKILL", FaultClass::hard, "crash");
  f.process("server").exit_code.reset();
  f.process("server").term_signal = SIGKILL;
  f.process("server").service = true;
  f.violate("service", "server", "server: service killed by SIGKILL before the tasks finished");
  CHECK(f.classify().verdict == Verdict::clean_failure);
}

TEST_CASE("A hard fault: failing with a word on stderr is clean, failing mute is not",
          "[explore][verdict]") {
  Fixture f("error=ENOMEM", FaultClass::hard);
  f.process("server").exit_code = 1;
  f.violate("exit", "server", "server: exited with status 1, expected 0");
  SECTION("said why") {
    f.process("server").stderr_text = "shmat: Cannot allocate memory\n";
    CHECK(f.classify().verdict == Verdict::clean_failure);
  }
  SECTION("said nothing") { CHECK(f.classify().verdict == Verdict::unexplained_failure); }
  SECTION("said only what it says every time") {
    f.process("server").stderr_text = "starting\n";
    ScenarioResult baseline = f.result;
    CHECK(f.classify(&baseline).verdict == Verdict::unexplained_failure);
  }
  SECTION("another process exited 0 with a wrong output") {
    f.process("server").stderr_text = "shmat: Cannot allocate memory\n";
    f.violate("stdout", "client", "client: stdout does not contain \"ok\"");
    CHECK(f.classify().verdict == Verdict::silent_wrong_result);
  }
}

TEST_CASE("Compared with the baseline, a different exit status or stdout is a wrong result",
          "[explore][verdict]") {
  Fixture f("error=EINTR", FaultClass::transient);
  ScenarioResult baseline = f.result;
  baseline.processes[1].stdout_text = "3 items\n";
  f.process("client").stdout_text = "2 items\n";
  CHECK(f.classify(&baseline, false).verdict == Verdict::absorbed);
  CHECK(f.classify(&baseline, true).verdict == Verdict::silent_wrong_result);
}

TEST_CASE("Verdict names round-trip and bugs are the severe ones", "[explore][verdict]") {
  for (Verdict v : {Verdict::crash, Verdict::hang, Verdict::silent_wrong_result, Verdict::leak,
                    Verdict::propagated, Verdict::not_absorbed, Verdict::unexplained_failure,
                    Verdict::clean_failure, Verdict::stranded, Verdict::absorbed,
                    Verdict::unreached, Verdict::unrealistic, Verdict::setup}) {
    CHECK(verdict_from_string(to_string(v)) == v);
  }
  CHECK(is_bug(Verdict::crash));
  CHECK(is_bug(Verdict::unexplained_failure));
  CHECK_FALSE(is_bug(Verdict::clean_failure));
  CHECK_FALSE(is_bug(Verdict::unreached));
}
