// The interposer's per-call error test on the seccomp backend: every row of the call table that
// is a system call of its own name fails with its errno when the rule fires on it.
#include <seccomp.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "faults/call_table.h"
#include "support.h"

namespace fs = std::filesystem;
using faultline::CallInfo;
using faultline::FaultAction;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using nlohmann::json;

namespace {

// Rows whose calls glibc makes through another system call of the same base on x86_64: the
// rule (on the base) still fires, and the event names the system call that was made.
const std::map<std::string_view, std::string_view> kEventName = {
    {"pipe", "pipe2"},
    {"semop", "semtimedop"},
};

// Rows whose symbol is a system call of that name (base names and variants such as accept4 or
// readv alike; not fortified or libc-level spellings) and that take `error`.
std::vector<CallInfo> syscall_rows() {
  std::vector<CallInfo> out;
  for (const CallInfo& c : faultline::call_table()) {
    if (!faultline::call_allows(c, FaultAction::error)) continue;
    if (seccomp_syscall_resolve_name(std::string(c.symbol).c_str()) < 0) continue;
    out.push_back(c);
  }
  return out;
}

struct ProbeUnderSeccomp {
  CommandResult result;
  json scenario;
};

// `fl_probe one SYMBOL` under `faultline exec --backend seccomp --fault spec`.
ProbeUnderSeccomp probe(const faultline::test::TempDir& dir, const std::string& spec,
                        const std::string& symbol) {
  fs::path out = dir.path() / "result.json";
  fs::remove(out);
  ProbeUnderSeccomp p;
  p.result = faultline::test::run_faultline(
      {"exec", "-q", "--backend", "seccomp", "--json", out.string(), "--fault", spec, "--",
       (faultline::test::test_programs_dir() / "fl_probe").string(), "one", symbol},
      {"LC_ALL=C"});
  INFO("spec " << spec << "\nstdout:\n" << p.result.out << "\nstderr:\n" << p.result.err);
  REQUIRE(fs::exists(out));
  std::ifstream in(out);
  p.scenario = json::parse(in)["scenarios"][0];
  return p;
}

}  // namespace

TEST_CASE("Per call on seccomp: an error rule fails the syscall with its errno, and records it",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(syscall_rows()));
  std::string symbol(call.symbol);
  std::string err(call.errnos.front());
  CAPTURE(symbol, err);
  faultline::test::TempDir dir("seccomp-calls");
  // Under seccomp fl_probe's own raw set-up calls match too (socket before accept, msgget
  // before msgsnd), and so do unchecked ones of the loader and libc (an early munmap): count
  // them with a rule that never fires, then fire on each in turn. A set-up call that fails ends
  // fl_probe with `probe-error`, an unchecked one leaves the measured call `ok`; the first
  // that fails the measured call must be the one the event names.
  std::string base = symbol + ":error=" + err;
  auto counted = probe(dir, base + ":nth=1000000000", symbol);
  REQUIRE(counted.result.out == symbol + " ok\n");
  std::uint64_t hits = counted.scenario["faults"][0]["hits"].get<std::uint64_t>();
  REQUIRE(hits >= 1);
  const std::string failed = symbol + " fail " + err + "\n";
  for (std::uint64_t nth = 1; nth <= hits; ++nth) {
    auto fired = probe(dir, base + ":nth=" + std::to_string(nth), symbol);
    INFO("nth " << nth << "\nstdout:\n" << fired.result.out << "\nstderr:\n" << fired.result.err);
    if (fired.result.out.rfind("probe-error", 0) == 0) continue;
    if (fired.result.out == symbol + " ok\n") continue;
    REQUIRE(fired.result.out == failed);
    CHECK(fired.scenario["faults"][0]["fired"] == 1);
    REQUIRE(fired.scenario["events"].size() == 1);
    const json& e = fired.scenario["events"][0];
    auto renamed = kEventName.find(call.symbol);
    CHECK(e["call"] == (renamed == kEventName.end() ? symbol : std::string(renamed->second)));
    CHECK(e["errno"] == err);
    CHECK(e["result"] == -1);
    return;
  }
  FAIL("none of the " << hits << " matching calls failed fl_probe's measured " << symbol);
}
