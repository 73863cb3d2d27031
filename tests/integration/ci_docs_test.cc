// docs/ci.md is copied into people's CI files: every faultline option its snippets use must be
// one the CLI has (checked against `faultline CMD --help`), and every YAML snippet must be
// YAML (python3-yaml reads it; GitHub's `${{ }}` cannot sit in a flow mapping).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::run_command;
using faultline::test::run_faultline;

namespace {

std::string ci_md() {
  std::ifstream in(fs::path(FAULTLINE_SOURCE_DIR) / "docs/ci.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("Every faultline option in docs/ci.md is one the command has", "[docs]") {
  // Options of issue 12 that other branches add (the HTML report, the trace): absent from
  // --help until they are merged, and only these.
  const std::set<std::string> added_elsewhere{"run --html", "run --trace", "explore --html"};
  const std::string text = ci_md();
  REQUIRE(!text.empty());
  // A command with its continuation lines (a trailing `\`, or an indented `--option` line).
  const std::regex command(
      R"(faultline (run|explore|merge)\b([^\n`]*(?:\\\n[^\n`]*|\n[ \t]+--[^\n`]*)*))");
  const std::regex option(R"((^|[\s'"])(--[a-z][a-z-]*|-j)\b)");
  std::size_t checked = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), command), end; it != end; ++it) {
    const std::string cmd = (*it)[1], rest = (*it)[2];
    const CommandResult help = run_faultline({cmd, "--help"});
    REQUIRE(help.exit_code == 0);
    for (std::sregex_iterator o(rest.begin(), rest.end(), option); o != end; ++o) {
      const std::string name = (*o)[2];
      ++checked;
      if (added_elsewhere.count(cmd + " " + name)) continue;
      INFO("faultline " << cmd << " ..." << rest);
      // The whole name: `--shard` is not found in `--shards`.
      CHECK(std::regex_search(help.out, std::regex(name + "([^a-z-]|$)")));
    }
  }
  CHECK(checked > 20);  // the snippets were found
}

TEST_CASE("Every YAML snippet of docs/ci.md is YAML", "[docs]") {
  CommandResult r =
      run_command({"python3", "-c",
                   "import re, sys, yaml\n"
                   "blocks = re.findall(r'```yaml\\n(.*?)```', open(sys.argv[1]).read(), re.S)\n"
                   "for b in blocks: yaml.safe_load(b)\n"
                   "print(len(blocks))\n",
                   (fs::path(FAULTLINE_SOURCE_DIR) / "docs/ci.md").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2\n");  // GitHub Actions and GitLab CI
}
