// The transparency corpus: real programs from Debian packages (coreutils, python3, perl,
// socat) doing IPC, with deterministic and substantial output on stdout.
#pragma once

#include <string>
#include <vector>

namespace faultline::test {

struct CorpusEntry {
  std::string name;
  // argv[0] is an absolute path. Runs in a fresh scratch folder that is also in $D; must
  // print to stdout the same bytes on every run and exit 0. A program that creates a SysV
  // object prints "sysv msg ID" or "sysv shm ID" to stderr first, so the test can remove it
  // whatever happens to the program.
  std::vector<std::string> argv;
  // Calls it certainly makes on pipes or sockets: a witness rule that never fires counts
  // them, proving that the interposer was loaded and saw the program's IPC.
  std::vector<std::string> makes;
  // Fault specs on calls it never makes (and could not make without being a different
  // program): armed for every process, they must never even be hit.
  std::vector<std::string> never;
};

[[nodiscard]] const std::vector<CorpusEntry>& corpus();
[[nodiscard]] const CorpusEntry& corpus_entry(const std::string& name);

}  // namespace faultline::test
