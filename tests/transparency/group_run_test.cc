// The corpus harness itself: what a run leaves behind is found, reported and removed.
#include <signal.h>

#include <catch2/catch.hpp>

#include "corpus_run.h"
#include "group_run.h"
#include "probe.h"
#include "support.h"

namespace faultline::test {
namespace {

TEST_CASE("A corpus run kills and names a process that outlives its command") {
  NothingLeftBehind guard;
  ScratchDir dir;
  // setsid: the sleep leaves the command's process group, as a daemon would.
  auto r = run_in_own_group({"/bin/sh", "-c", "setsid sleep 60 </dev/null >/dev/null 2>&1 &"},
                            {"PATH=/usr/bin:/bin"}, dir.path(), std::chrono::seconds(30),
                            std::chrono::seconds(1));
  CHECK(r.result.exit_code == 0);
  CHECK_FALSE(r.timed_out);
  REQUIRE(r.survivors.size() == 1);
  CHECK(r.survivors[0].find(" sleep") != std::string::npos);
}

TEST_CASE("A corpus run kills its whole group at the deadline") {
  NothingLeftBehind guard;
  ScratchDir dir;
  auto r = run_in_own_group({"/bin/sh", "-c", "echo started; sleep 60 & wait"},
                            {"PATH=/usr/bin:/bin"}, dir.path(), std::chrono::seconds(1));
  CHECK(r.timed_out);
  CHECK(r.result.term_signal == SIGKILL);
  CHECK(r.result.out == "started\n");
}

TEST_CASE("A corpus run removes a SysV object its program announced and left") {
  NothingLeftBehind guard;
  CorpusEntry leaky{"leaky",
                    {"/usr/bin/perl", "-e",
                     "use IPC::SysV qw(IPC_PRIVATE); my $id = msgget(IPC_PRIVATE, 0600) // die; "
                     "print STDERR \"sysv msg $id\\n\"; print \"left it\\n\";"},
                    {},
                    {}};
  CorpusRun r = run_native(leaky);
  CHECK(r.run.result.out == "left it\n");
  REQUIRE(r.sysv_left.size() == 1);
  CHECK(r.sysv_left[0].rfind("sysv msg ", 0) == 0);
}

}  // namespace
}  // namespace faultline::test
