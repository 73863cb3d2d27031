// One run of a corpus entry, natively or with the interposer preloaded under given faults,
// and the byte-for-byte comparison of two runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "corpus.h"
#include "faults/control_block.h"
#include "group_run.h"

namespace faultline::test {

struct CorpusRun {
  GroupRunResult run;
  std::vector<std::string> faults;             // the specs armed, rule i = faults[i]
  std::vector<ControlBlock::RuleStats> stats;  // per rule; empty for a native run
  std::vector<std::string> sysv_left;          // reported SysV objects the test removed
};

// The entry without the interposer.
[[nodiscard]] CorpusRun run_native(const CorpusEntry& entry);
// The entry with LD_PRELOAD=libfaultline-interpose.so, FAULTLINE_PROCESS=corpus and a control
// block holding `faults` (in `--fault` form) in that order.
[[nodiscard]] CorpusRun run_preloaded(const CorpusEntry& entry,
                                      const std::vector<std::string>& faults);

// Rules on every call the entry makes and a few it does not, all for another process.
[[nodiscard]] std::vector<std::string> rules_for_another_process(const CorpusEntry& entry);
// Rules that match each call the entry makes but fire only on the billionth: the hits they
// count prove the interposer saw the calls.
[[nodiscard]] std::vector<std::string> witness_rules(const CorpusEntry& entry);

// "" when both runs printed the same bytes and ended the same way; else what differs first.
[[nodiscard]] std::string difference(const CorpusRun& expected, const CorpusRun& actual);

}  // namespace faultline::test
