// `faultline run --junit FILE`: one testcase per scenario, failures with their reason, and a
// file a strict XML parser (python3's) reads whatever bytes the programs printed.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_command;
using faultline::test::run_faultline;
using faultline::test::TempScenario;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Attribute or text of the XML, through python3's parser: "tests failures" and per testcase
// "name|classname|failure type|failure message".
CommandResult python_view(const fs::path& xml) {
  return run_command({"python3", "-c",
                      "import sys, xml.etree.ElementTree as E\n"
                      "r = E.parse(sys.argv[1]).getroot()\n"
                      "print(r.get('tests'), r.get('failures'))\n"
                      "for t in r.iter('testcase'):\n"
                      "  f = t.find('failure')\n"
                      "  print(t.get('name'), t.get('classname'),\n"
                      "        f.get('type') if f is not None else 'passed',\n"
                      "        f.get('message') if f is not None else '', sep='|')\n"
                      "  if f is not None: sys.stderr.write(f.text)\n",
                      xml.string()});
}

}  // namespace

TEST_CASE("faultline run --junit writes a testcase per scenario, failures with their reason") {
  NothingLeftBehind guard;
  TempScenario passing(R"y(scenario: quiet
processes:
  p: { run: [true] }
)y",
                       "a.yaml");
  // Output with XML's special characters, a control character and a byte that is no UTF-8.
  TempScenario failing(R"y(scenario: noisy <&>
processes:
  p:
    run: |
      printf 'a<b&c \001 \377 \355\240\200 \340\200\257 \357\277\276 end\n'; exit 3
)y",
                       "b.yaml");
  fs::path xml = passing.dir() / "result.xml";
  fs::path json = passing.dir() / "result.json";
  CommandResult r = run_faultline({"run", passing.path().string(), failing.path().string(),
                                   "--junit", xml.string(), "--json", json.string()});
  CHECK(r.exit_code == 1);
  REQUIRE(fs::exists(xml));
  // The JSON result holds the same output, what is no UTF-8 replaced.
  CommandResult json_view =
      run_command({"python3", "-c",
                   "import json, sys; d = json.load(open(sys.argv[1]));"
                   " print(d['summary']['scenarios'], d['scenarios'][1]['processes'][0]['stdout'])",
                   json.string()});
  CHECK(json_view.exit_code == 0);
  CHECK(json_view.out.rfind("2 a<b&c ", 0) == 0);
  CommandResult view = python_view(xml);
  INFO(read_all(xml) << view.err);
  REQUIRE(view.exit_code == 0);
  std::istringstream lines(view.out);
  std::string totals, first, second;
  std::getline(lines, totals);
  std::getline(lines, first);
  std::getline(lines, second);
  CHECK(totals == "2 1");
  const std::string folder_a = passing.dir().filename().string();
  const std::string folder_b = failing.dir().filename().string();
  CHECK(first == "quiet|" + folder_a + "|passed|");
  CHECK(second == "noisy <&>|" + folder_b + "|exit|p: exited with status 3, expected exit 0");
  // The failure's text is the console report, the program's output in it made valid XML.
  CHECK(view.err.find("FAIL  noisy <&>") != std::string::npos);
  // A control character, a byte that is no UTF-8, a surrogate, an overlong '/', U+FFFE.
  const std::string bad = "\xEF\xBF\xBD";
  CHECK(view.err.find("a<b&c " + bad + " " + bad + " " + bad + bad + bad + " " + bad + bad + bad +
                      " " + bad + bad + bad + " end") != std::string::npos);
}
