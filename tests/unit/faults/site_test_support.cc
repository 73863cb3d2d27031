// Helpers of the site= tests; see site_test_support.h.
#include "site_test_support.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support.h"

namespace faultline::test {

std::filesystem::path probe_program() { return test_programs_dir() / "site_probe"; }

std::uint64_t probe_address(const std::string& function) {
  CommandResult r = run_command({probe_program().string(), "addresses"});
  if (r.exit_code != 0) throw std::runtime_error("site_probe addresses failed: " + r.err);
  std::istringstream in(r.out);
  std::string name, address;
  while (in >> name >> address)
    if (name == function) return std::stoull(address, nullptr, 16);
  throw std::runtime_error("site_probe does not know " + function + ": " + r.out);
}

int probe_line(const std::string& marker) {
  std::ifstream source(std::string(FAULTLINE_SOURCE_DIR) + "/tests/unit/faults/site_probe.c");
  std::string text;
  for (int line = 1; std::getline(source, text); ++line)
    if (text.find(marker) != std::string::npos) return line;
  throw std::runtime_error("no line of site_probe.c contains " + marker);
}

}  // namespace faultline::test
