// resolve_site against site_probe (built with -g): function and line ranges, the helpful
// errors, programs that are scripts or named twice, and the symbolizer
// that names a recorded call site.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "faults/site_resolver.h"
#include "site_test_support.h"
#include "support.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using test::probe_address;
using test::probe_line;
using test::probe_program;

bool contains(const std::vector<fl_site_range>& ranges, std::uint64_t address) {
  for (const auto& r : ranges)
    if (address >= r.lo && address < r.hi) return true;
  return false;
}

std::vector<fl_site_range> resolve_ok(std::string_view site,
                                      const std::vector<fs::path>& programs) {
  SiteResolution r = resolve_site(site, programs);
  INFO("site=" << site << ": " << r.error);
  REQUIRE(r.ok());
  REQUIRE_FALSE(r.ranges.empty());
  return r.ranges;
}

std::string resolve_error(std::string_view site, const std::vector<fs::path>& programs) {
  SiteResolution r = resolve_site(site, programs);
  CHECK(r.ranges.empty());
  CHECK_THAT(r.error, Catch::StartsWith("site=" + std::string(site) + ": "));
  return r.error;
}

bool same(const std::vector<fl_site_range>& a, const std::vector<fl_site_range>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].dev != b[i].dev || a[i].ino != b[i].ino || a[i].lo != b[i].lo || a[i].hi != b[i].hi)
      return false;
  return true;
}

TEST_CASE("A function name resolves to the range of the program's code that holds the function") {
  auto ranges = resolve_ok("probe_read_first", {probe_program()});
  struct stat st {};
  REQUIRE(::stat(probe_program().c_str(), &st) == 0);
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0].dev == st.st_dev);
  CHECK(ranges[0].ino == st.st_ino);
  CHECK(contains(ranges, probe_address("probe_read_first")));
  CHECK_FALSE(contains(ranges, probe_address("probe_read_second")));
}

TEST_CASE("A source line resolves to code inside the function that holds the line") {
  auto function = resolve_ok("probe_read_second", {probe_program()});
  REQUIRE(function.size() == 1);
  auto line = resolve_ok("site_probe.c:" + std::to_string(probe_line("SITE_PROBE_SECOND_READ")),
                         {probe_program()});
  for (const auto& r : line) {
    CHECK(r.ino == function[0].ino);
    CHECK(r.lo < r.hi);
    CHECK(r.lo >= function[0].lo);
    CHECK(r.hi <= function[0].hi);
  }
}

// A recording names each call site by function and line (Symbolizer). libdw finds the line of
// an address through .debug_aranges, which clang does not write: every call site of a
// clang-built program came without its line.
TEST_CASE("A call's return address is named by function and line, also without .debug_aranges") {
  const fs::path no_aranges = faultline::test::test_programs_dir() / "site_probe_no_aranges";
  auto holds_aranges = [](const fs::path& program) {
    std::ifstream in(program, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return bytes.find(".debug_aranges") != std::string::npos;
  };
  // (site_probe itself has the section where gcc built it; clang, as in ci/sanitize's trees,
  // writes none.)
  REQUIRE(fs::is_regular_file(no_aranges));
  REQUIRE_FALSE(holds_aranges(no_aranges));
  const std::string line = "site_probe.c:" + std::to_string(probe_line("SITE_PROBE_SECOND_READ"));
  auto ranges = resolve_ok(line, {probe_program()});
  for (const fs::path& program : {probe_program(), no_aranges}) {
    INFO(program);
    faultline::Symbolizer symbols;
    // A return address names the call just before it: the line's first byte plus one.
    auto code = symbols.at_return_address(program, ranges[0].lo + 1);
    CHECK(code.function == "probe_read_second");
    CHECK(code.location == line);
    // And the same once more, from what the symbolizer keeps of the file.
    CHECK(symbols.at_return_address(program, ranges[0].lo + 1).location == line);
  }
}

TEST_CASE("A source file may be named by any number of its trailing path components") {
  std::string line = ":" + std::to_string(probe_line("SITE_PROBE_FIRST_READ"));
  auto by_name = resolve_ok("site_probe.c" + line, {probe_program()});
  CHECK(same(resolve_ok("faults/site_probe.c" + line, {probe_program()}), by_name));
  CHECK(same(resolve_ok("tests/unit/faults/site_probe.c" + line, {probe_program()}), by_name));
  CHECK(
      same(resolve_ok(
               (fs::path(FAULTLINE_SOURCE_DIR) / "tests/unit/faults/site_probe.c").string() + line,
               {probe_program()}),
           by_name));
}

TEST_CASE("A source path that only ends in the file's name is an error that shows the real path") {
  std::string error = resolve_error("other/site_probe.c:10", {probe_program()});
  CHECK_THAT(error, Catch::Contains("no source file other/site_probe.c"));
  CHECK_THAT(error, Catch::Contains("tests/unit/faults/site_probe.c"));
}

TEST_CASE("An unknown function is an error that names the program and suggests -g") {
  std::string error = resolve_error("no_such_function", {probe_program()});
  CHECK_THAT(error, Catch::Contains("no function no_such_function in " + probe_program().string()));
  CHECK_THAT(error, Catch::Contains("build with -g"));
}

TEST_CASE("A part of a function's name is no match, but the error lists the similar names") {
  std::string error = resolve_error("probe_read", {probe_program()});
  CHECK_THAT(error, Catch::Contains("similar: "));
  CHECK_THAT(error, Catch::Contains("probe_read_first"));
}

TEST_CASE("A line without code is an error that names the nearest lines with code") {
  // The blank line between the two functions.
  int blank = probe_line("__attribute__((noinline)) int probe_read_second") - 1;
  std::string error = resolve_error("site_probe.c:" + std::to_string(blank), {probe_program()});
  CHECK_THAT(error,
             Catch::Contains("no code at line " + std::to_string(blank) + " of site_probe.c"));
  std::smatch m;
  std::regex nearest("nearest lines with code: ([0-9]+), ([0-9]+)");
  REQUIRE(std::regex_search(error, m, nearest));
  CHECK(std::stoi(m[1]) < blank);
  CHECK(std::stoi(m[2]) > blank);
}

TEST_CASE(
    "A source line in a program without a line table is an error that says to build with -g") {
  std::string error = resolve_error("site_probe.c:10", {"/bin/true"});
  CHECK_THAT(error, Catch::Contains("/bin/true has no line table (build it with -g)"));
}

TEST_CASE("A line number that is no positive number is rejected") {
  CHECK_THAT(resolve_error("site_probe.c:0", {probe_program()}), Catch::Contains("line number"));
  CHECK_THAT(resolve_error("site_probe.c:x1", {probe_program()}), Catch::Contains("line number"));
}

TEST_CASE("A script among the programs is skipped") {
  test::TempDir dir("fltest-site");
  fs::path script = dir.path() / "run.sh";
  std::ofstream(script) << "#!/bin/sh\nexec true\n";
  CHECK(same(resolve_ok("probe_read_first", {script, probe_program()}),
             resolve_ok("probe_read_first", {probe_program()})));
}

TEST_CASE("A site looked for in scripts only is an error that says site= needs ELF programs") {
  test::TempDir dir("fltest-site");
  fs::path script = dir.path() / "run.sh";
  std::ofstream(script) << "#!/bin/sh\nexec true\n";
  std::string error = resolve_error("main", {script});
  CHECK_THAT(error, Catch::Contains(script.string() + " is no ELF file"));
  CHECK_THAT(error, Catch::Contains("ELF programs"));
}

TEST_CASE("A program that does not exist is named in the error") {
  std::string error = resolve_error("main", {"/nonexistent/program"});
  CHECK_THAT(error, Catch::Contains("/nonexistent/program: cannot be read"));
}

TEST_CASE("A program named twice counts once") {
  CHECK(same(resolve_ok("probe_read_first", {probe_program(), probe_program()}),
             resolve_ok("probe_read_first", {probe_program()})));
}

TEST_CASE("A function found in several programs gives one range in each") {
  test::TempDir dir("fltest-site");
  fs::path copy = dir.path() / "site_probe_copy";
  fs::copy_file(probe_program(), copy);
  auto ranges = resolve_ok("probe_read_first", {probe_program(), copy});
  REQUIRE(ranges.size() == 2);
  CHECK(ranges[0].ino != ranges[1].ino);
  CHECK(ranges[0].lo == ranges[1].lo);
}

TEST_CASE("More ranges than a fault can hold is an error that names the limit") {
  test::TempDir dir("fltest-site");
  std::vector<fs::path> programs;
  for (int i = 0; i <= FL_SITE_RANGES; ++i) {
    programs.push_back(dir.path() / ("site_probe_" + std::to_string(i)));
    fs::copy_file(probe_program(), programs.back());
  }
  std::string error = resolve_error("probe_read_first", programs);
  CHECK_THAT(error, Catch::Contains(std::to_string(FL_SITE_RANGES + 1) + " separate code ranges"));
  CHECK_THAT(error, Catch::Contains("FL_SITE_RANGES"));
  programs.pop_back();
  CHECK(resolve_ok("probe_read_first", programs).size() == FL_SITE_RANGES);
}

TEST_CASE("PROGRAM+0xOFFSET resolves to exactly that return address of the program so named") {
  const std::uint64_t ret = probe_address("probe_read_first") + 5;
  const std::string site = fmt::format("site_probe+{:#x}", ret);
  auto ranges = resolve_ok(site, {probe_program()});
  struct stat st {};
  REQUIRE(::stat(probe_program().c_str(), &st) == 0);
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0].dev == st.st_dev);
  CHECK(ranges[0].ino == st.st_ino);
  // The interposer tests caller - 1: the call instruction just before the return address.
  CHECK(ranges[0].lo == ret - 1);
  CHECK(ranges[0].hi == ret);
  // The absolute path of any ELF file works too, without being a program of the scenario.
  CHECK(same(resolve_ok(probe_program().string() + fmt::format("+{:#x}", ret), {}), ranges));
}

TEST_CASE("A bad PROGRAM+0xOFFSET is an error that says how to write it") {
  const std::vector<fs::path> programs{probe_program()};
  std::string error = resolve_error("nosuch+0x10", programs);
  CHECK_THAT(error, Catch::Contains("no program of the scenario is named nosuch"));
  CHECK_THAT(error, Catch::Contains("programs: site_probe"));
  CHECK_THAT(error, Catch::Contains("absolute path"));
  CHECK_THAT(resolve_error("site_probe+0xzz", programs), Catch::Contains("hexadecimal"));
  CHECK_THAT(resolve_error("site_probe+0x", programs), Catch::Contains("hexadecimal"));
  CHECK_THAT(resolve_error("site_probe+0x0", programs), Catch::Contains("not 0"));
  CHECK_THAT(resolve_error("bin/site_probe+0x10", programs),
             Catch::Contains("must be an absolute path"));
  CHECK_THAT(resolve_error("/no/such/lib.so+0x10", programs), Catch::Contains("cannot be read"));
  CHECK_THAT(resolve_error("site_probe+0xfffffffff0", programs), Catch::Contains("lies outside"));
  test::TempDir dir("fltest-site");
  fs::path script = dir.path() / "script";
  std::ofstream(script) << "#!/bin/sh\n";
  CHECK_THAT(resolve_error(script.string() + "+0x10", programs), Catch::Contains("no ELF file"));
}

TEST_CASE("A remembered resolution is resolved again when the program changed") {
  test::TempDir dir("fltest-site");
  fs::path program = dir.path() / "prog";
  fs::copy_file(probe_program(), program);
  const std::string site = fmt::format("prog+{:#x}", probe_address("probe_read_first") + 5);
  auto first = resolve_ok(site, {program});
  CHECK(same(resolve_ok(site, {program}), first));
  // Replaced by another file under the same name: the old answer no longer holds.
  fs::remove(program);
  std::ofstream(program) << "#!/bin/sh\n";
  CHECK_THAT(resolve_error(site, {program}), Catch::Contains("no ELF file"));
}

}  // namespace
}  // namespace faultline
