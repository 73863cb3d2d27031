// Transparency of the interposer: real programs print the same bytes and exit the same way
// with libfaultline-interpose.so preloaded, as long as no fault fires on their calls.
#include <catch2/catch.hpp>

#include "corpus.h"
#include "corpus_run.h"
#include "support.h"

namespace faultline::test {
namespace {

// What every run of the corpus must do whatever the mode: finish, leave no process and no
// SysV object behind (the program removes its own).
void check_clean(const CorpusRun& r) {
  INFO("stderr:\n" << r.run.result.err);
  CAPTURE(r.run.survivors);
  CHECK_FALSE(r.run.timed_out);
  CHECK(r.run.survivors.empty());
  CHECK(r.sysv_left.empty());
}

const CorpusEntry& generated_entry() {
  auto index = GENERATE(range(std::size_t{0}, corpus().size()));
  return corpus()[index];
}

// Runs the entry natively and preloaded with `faults` followed by its witness rules; checks
// that nothing differs, that none of `faults` was even hit and that every witness counted
// calls (else an interposer that failed to load would pass for a transparent one).
void check_transparent(const CorpusEntry& entry, const std::vector<std::string>& faults) {
  std::vector<std::string> rules = faults;
  auto witnesses = witness_rules(entry);
  rules.insert(rules.end(), witnesses.begin(), witnesses.end());
  CorpusRun native = run_native(entry);
  CorpusRun preloaded = run_preloaded(entry, rules);
  INFO("native stderr:\n"
       << native.run.result.err << "preloaded stderr:\n"
       << preloaded.run.result.err);
  CHECK(native.run.result.exit_code == 0);
  CHECK(native.run.result.out.size() > 10000);
  CHECK(difference(native, preloaded) == "");
  check_clean(native);
  check_clean(preloaded);
  REQUIRE(preloaded.stats.size() == rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    CAPTURE(rules[i], preloaded.stats[i].hits);
    CHECK(preloaded.stats[i].fires == 0);
    if (i < faults.size()) {
      CHECK(preloaded.stats[i].hits == 0);
    } else {
      CHECK(preloaded.stats[i].hits > 0);
    }
  }
}

TEST_CASE("Every corpus program prints the same bytes on two native runs") {
  NothingLeftBehind guard;
  const CorpusEntry& entry = generated_entry();
  CAPTURE(entry.name);
  CorpusRun first = run_native(entry), second = run_native(entry);
  INFO("stderr:\n" << first.run.result.err);
  CHECK(first.run.result.exit_code == 0);
  CHECK(difference(first, second) == "");
  check_clean(first);
  check_clean(second);
}

TEST_CASE("Every corpus program prints the same bytes preloaded with rules for another process") {
  NothingLeftBehind guard;
  const CorpusEntry& entry = generated_entry();
  CAPTURE(entry.name);
  check_transparent(entry, rules_for_another_process(entry));
}

TEST_CASE(
    "Every corpus program prints the same bytes preloaded with faults on calls it never makes") {
  NothingLeftBehind guard;
  const CorpusEntry& entry = generated_entry();
  CAPTURE(entry.name);
  check_transparent(entry, entry.never);
}

TEST_CASE("The corpus comparison catches a fault that fires on a pipeline") {
  NothingLeftBehind guard;
  struct Case {
    const char* entry;
    const char* fault;
    bool status_changes;
  };
  // An EIO makes split fail, and `set -e` the script; an early EOF truncates a stream
  // silently (exit 0 all along), so that only the byte comparison can see it.
  auto c = GENERATE(
      Case{"coreutils tee, split, cat, wc and tac over pipes and files", "read:error=EIO", true},
      Case{"coreutils sort, uniq, tr, paste and md5sum pipelines", "read:eof:nth=3", false});
  CAPTURE(c.entry, c.fault);
  const CorpusEntry& entry = corpus_entry(c.entry);
  CorpusRun native = run_native(entry);
  CorpusRun faulted = run_preloaded(entry, {c.fault});
  REQUIRE(faulted.stats.size() == 1);
  CHECK(faulted.stats[0].fires > 0);
  std::string diff = difference(native, faulted);
  INFO("difference:\n" << diff);
  CHECK(diff.find("stdout differs") != std::string::npos);
  CHECK((diff.find("ended with exit") != std::string::npos) == c.status_changes);
  check_clean(native);
  check_clean(faulted);
}

}  // namespace
}  // namespace faultline::test
