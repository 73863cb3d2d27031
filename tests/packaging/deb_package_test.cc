// `cpack -G DEB`: the .deb carries exactly what `cmake --install` installs, under /usr, with
// its dependencies as Debian names them, and faultline unpacked from it (`dpkg -x`) runs a
// scenario with its own interposer and peer.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using faultline::TempDir;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::run_command;
using faultline::test::run_faultline;
using faultline::test::TempScenario;

namespace {

CommandResult must_run(const std::vector<std::string>& argv,
                       const std::vector<std::string>& env = {}) {
  CommandResult r = run_command(argv, env);
  INFO(argv.front() << ": " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return r;
}

// Builds the package from the build tree's CPack configuration into `out` (CPack's staging
// folder, _CPack_Packages, goes there too, not into the build tree).
fs::path build_deb(const fs::path& out) {
  must_run({FAULTLINE_CPACK_COMMAND, "-G", "DEB", "-B", out.string(), "--config",
            (faultline::test::build_dir() / "CPackConfig.cmake").string()});
  std::vector<fs::path> debs;
  for (const auto& entry : fs::directory_iterator(out))
    if (entry.path().extension() == ".deb") debs.push_back(entry.path());
  REQUIRE(debs.size() == 1);
  return debs.front();
}

// The control fields `dpkg-deb -I` shows (" Field: value"; continuation lines left out).
std::map<std::string, std::string> control_fields(const fs::path& deb) {
  std::map<std::string, std::string> fields;
  std::istringstream in(must_run({"dpkg-deb", "-I", deb.string()}).out);
  for (std::string line; std::getline(in, line);) {
    if (line.size() < 2 || line[0] != ' ' || line[1] == ' ') continue;
    auto colon = line.find(": ");
    if (colon == std::string::npos || line.find(' ', 1) < colon) continue;
    fields[line.substr(1, colon - 1)] = line.substr(colon + 2);
  }
  return fields;
}

// "libc6 (>= 2.34), libdw1 (>= 0.158) | x" -> {libc6: "(>= 2.34)", libdw1: "(>= 0.158) | x"}.
std::map<std::string, std::string> relations(const std::string& field) {
  std::map<std::string, std::string> out;
  std::istringstream in(field);
  for (std::string entry; std::getline(in, entry, ',');) {
    entry.erase(0, entry.find_first_not_of(' '));
    auto space = entry.find(' ');
    out[entry.substr(0, space)] = space == std::string::npos ? "" : entry.substr(space + 1);
  }
  return out;
}

bool has_package_starting(const std::map<std::string, std::string>& relations,
                          const std::string& prefix) {
  for (const auto& [name, version] : relations)
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

// Regular files and symbolic links of `dpkg-deb -c` ("-rwxr-xr-x root/root 123 date time
// ./usr/bin/faultline"), as paths below the root: usr/bin/faultline.
std::set<std::string> deb_files(const fs::path& deb) {
  std::set<std::string> files;
  std::istringstream in(must_run({"dpkg-deb", "-c", deb.string()}).out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || (line[0] != '-' && line[0] != 'l')) continue;
    auto path = line.find(" ./");
    REQUIRE(path != std::string::npos);
    std::string name = line.substr(path + 3);
    if (line[0] == 'l') name = name.substr(0, name.find(" -> "));
    files.insert(name);
  }
  return files;
}

std::set<std::string> files_below(const fs::path& root) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_symlink() || entry.is_regular_file())
      files.insert(fs::relative(entry.path(), root).string());
  return files;
}

std::string listed(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::string out;
  for (const auto& f : a)
    if (!b.count(f)) out += "  " + f + "\n";
  return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Empty overrides: the unpacked runner must find its interposer and peer on its own.
const std::vector<std::string> kNoOverrides{
    "FAULTLINE_PEER=", "FAULTLINE_INTERPOSE=", "NO_COLOR=1"};

}  // namespace

TEST_CASE("cpack builds a .deb of what cmake --install installs, which runs where unpacked",
          "[packaging][deb]") {
  PrivateTmpdir tmpdir("fl-deb-tmpdir");
  NothingLeftBehind guard;
  TempDir work("fl-deb");
  const fs::path deb = build_deb(work.path() / "out");

  // Control: name, version and architecture; Depends from dpkg-shlibdeps.
  auto fields = control_fields(deb);
  CHECK(fields["Package"] == "faultline");
  CHECK("faultline " + fields["Version"] == first_line(run_faultline({"--version"}).out));
  CHECK(fields["Architecture"] == first_line(must_run({"dpkg", "--print-architecture"}).out));
  CHECK_FALSE(fields["Maintainer"].empty());
  CHECK(fields["Section"] == "devel");
  INFO("Depends: " << fields["Depends"]);
  auto depends = relations(fields["Depends"]);
  // What the runner, the peer and the interposer link, in Debian's names (the soname is in
  // the package name: libyaml-cpp0.7, libfmt9); dpkg-shlibdeps gives each a minimum version.
  // libdw1 the runner dlopens (named in cmake/Packaging.cmake); libstdc++6 and libfmt9 are the
  // peer's. yaml-cpp and libseccomp are in the runner itself when it is built with its
  // libraries linked in (cmake/StaticRuntime.cmake), and then no dependency.
  for (const char* library : {"libc6", "libstdc++6", "libdw1", "libfmt"})
    CHECK(has_package_starting(depends, library));
  for (const char* library : {"libyaml-cpp0", "libseccomp2"})
    CHECK(has_package_starting(depends, library) == !FAULTLINE_STATIC_RUNTIME);
  for (const auto& [name, version] : depends) CHECK(version.rfind("(>= ", 0) == 0);
  // Used when there, not linked: gdb (backtraces at a timeout), libunwind8 (dlopened).
  auto recommends = relations(fields["Recommends"]);
  CHECK(recommends.count("gdb"));
  CHECK(recommends.count("libunwind8"));
  CHECK_FALSE(depends.count("gdb"));

  // Contents: the files of an install under /usr, whatever install() rules there are.
  const fs::path installed = work.path() / "installed";
  must_run({FAULTLINE_CMAKE_COMMAND, "--install", faultline::test::build_dir().string(), "--prefix",
            (installed / "usr").string()});
  const auto in_deb = deb_files(deb);
  const auto in_install = files_below(installed);
  INFO("in the .deb, not installed:\n"
       << listed(in_deb, in_install) << "installed, not in the .deb:\n"
       << listed(in_install, in_deb));
  CHECK(in_deb == in_install);
  for (const char* file :
       {"usr/bin/faultline", "usr/bin/faultline-peer",
        "usr/lib/faultline/libfaultline-interpose.so", "usr/share/man/man1/faultline.1.gz",
        "usr/share/doc/faultline/README.md"})
    CHECK(in_deb.count(file));
  for (const auto& doc : fs::directory_iterator(fs::path(FAULTLINE_SOURCE_DIR) / "docs"))
    if (doc.path().extension() == ".md")
      CHECK(in_deb.count("usr/share/doc/faultline/" + doc.path().filename().string()));

  // Unpacked into a root of its own, it runs a scenario of built-in peers under a fault.
  const fs::path root = work.path() / "root";
  must_run({"dpkg", "-x", deb.string(), root.string()});
  const std::string faultline = (root / "usr/bin/faultline").string();
  TempScenario s(R"y(scenario: from-the-deb
timeout: 30s
channels: { to: { type: fifo }, back: { type: fifo } }
processes:
  server: { peer: { mode: echo, channel: to, reply: back } }
  client: { peer: { mode: request, channel: to, reply: back, count: 20 } }
expect: { peers: intact, faults: fired }
)y");
  const std::string result = work / "result.json";
  CommandResult run = run_command({faultline, "run", s.path().string(), "--fault",
                                   "server/read:short=5:every=3", "--json", result},
                                  kNoOverrides);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("PASS  from-the-deb") != std::string::npos);
  std::ifstream json_file(result);
  auto json = nlohmann::json::parse(json_file);
  const auto& scenario = json.at("scenarios").at(0);
  CHECK(scenario.at("outcome") == "pass");
  REQUIRE(scenario.at("faults").size() == 1);
  CHECK(scenario.at("faults")[0].at("spec") == "server/read:short=5:every=3");
  CHECK(scenario.at("faults")[0].at("fired").get<int>() > 0);
  for (const auto& event : scenario.at("events")) CHECK(event.at("process") == "server");

  // A Debian program under the unpacked interposer.
  const std::string readme = (root / "usr/share/doc/faultline/README.md").string();
  CommandResult cat = run_command(
      {faultline, "exec", "--fault", "read:error=EIO:fd=file", "--", "cat", readme}, kNoOverrides);
  INFO(cat.out << cat.err);
  CHECK(cat.exit_code == 1);
  CHECK(cat.err.find("cat: " + readme + ": Input/output error") != std::string::npos);
  CHECK(cat.err.find("read:error=EIO:fd=file fired 1 of 1 call") != std::string::npos);

  // It was the unpacked interposer: without it, the unpacked runner does not start.
  fs::remove(root / "usr/lib/faultline/libfaultline-interpose.so");
  CommandResult without = run_command({faultline, "run", s.path().string()}, kNoOverrides);
  INFO(without.out << without.err);
  CHECK(without.exit_code == 2);
  CHECK(without.err.find("libfaultline-interpose.so not found") != std::string::npos);

  // And its man page is the one man shows.
  CommandResult man =
      run_command({"man", "-M", (root / "usr/share/man").string(), "-P", "cat", "faultline"},
                  {"MANWIDTH=80", "LC_ALL=C.UTF-8"});
  CHECK(man.out.find("faultline - test IPC code under failure") != std::string::npos);
}
