// `--html FILE` of run, exec and explore, opened in a real browser (Debian's chromium,
// headless): the page loads with no console message and no network request, its key elements
// say what the `--json` result of the same run says (scenarios, verdicts, one process element
// per process with its outcome, one fault marker per fault event, one matrix square per fault
// point with its verdict, the findings with their repro commands), its copy buttons were
// shown by its script, text a program printed stays text, and its screenshot (kept under
// build/test-artifacts/html_report/) is a PNG with something on it. The first test shows that
// the console and network checks see what they look for, and that the process check finds a
// process it should find.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "headless_chromium.h"
#include "processes/spawn_program.h"
#include "support.h"
#include "util/unique_fd.h"

extern char** environ;

namespace fs = std::filesystem;
using faultline::test::BrowserVisit;
using faultline::test::build_dir;
using faultline::test::Element;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::run_faultline;
using faultline::test::scenarios_dir;
using faultline::test::TempDir;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

constexpr int kWidth = 1280, kHeight = 1600;
constexpr std::chrono::seconds kBrowserDeadline{60};

fs::path artifacts() {
  fs::path dir = build_dir() / "test-artifacts" / "html_report";
  fs::create_directories(dir);
  return dir;
}

json load(const fs::path& file) {
  std::ifstream in(file);
  INFO("reading " << file);
  REQUIRE(in.good());
  return json::parse(in);
}

void write(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

// Opens the page, checks what every page must satisfy (loaded, no console message, no
// request, nothing of the browser left) and returns the visit. The screenshot goes to
// build/test-artifacts/html_report/NAME.png, a copy of the page next to it.
BrowserVisit open_page(const fs::path& page, const std::string& name) {
  const fs::path screenshot = artifacts() / (name + ".png");
  fs::remove(screenshot);
  fs::copy_file(page, artifacts() / (name + ".html"), fs::copy_options::overwrite_existing);
  const std::string marker = "html-report-" + name + "-" + std::to_string(::getpid());
  BrowserVisit visit = faultline::test::visit_with_chromium(page, screenshot, marker, kWidth,
                                                            kHeight, kBrowserDeadline);
  INFO("chromium log:\n" << visit.log.substr(0, 6000));
  REQUIRE(visit.finished);
  CHECK(visit.exit_code == 0);
  CHECK(faultline::test::processes_marked(marker).empty());
  REQUIRE(visit.dom.find("</html>") != std::string::npos);
  return visit;
}

void check_clean_load(const BrowserVisit& visit) {
  std::string console;
  for (const auto& line : visit.console) console += line + "\n";
  INFO("console:\n" << console);
  CHECK(visit.console.empty());
  std::string requests;
  for (const auto& url : visit.page_requests) requests += url + "\n";
  INFO("requests of the page:\n" << requests);
  CHECK(visit.page_requests.empty());
}

// What every report page holds: the policy that allows nothing from outside, its one script,
// no element that loads anything, and copy buttons its script made visible.
void check_self_contained(const std::vector<Element>& elements) {
  std::size_t scripts = 0, csp = 0, buttons = 0;
  for (const auto& e : elements) {
    scripts += e.tag == "script" ? 1 : 0;
    if (e.tag == "meta" && e.has("http-equiv") && e.at("http-equiv") == "Content-Security-Policy") {
      ++csp;
      CHECK(e.at("content").find("default-src 'none'") != std::string::npos);
    }
    INFO("<" << e.tag << "> at " << e.offset);
    CHECK_FALSE(e.has("src"));
    if (e.has("href")) CHECK(e.at("href").rfind("#", 0) == 0);
    if (e.tag == "link" || e.tag == "img" || e.tag == "iframe") FAIL_CHECK("an element that loads");
    if (e.tag == "button" && e.has_class("copy")) {
      ++buttons;
      CHECK_FALSE(e.has("hidden"));  // the script ran
    }
  }
  CHECK(scripts == 1);
  CHECK(csp == 1);
  CHECK(buttons >= 1);
}

void check_screenshot(const std::string& name, const std::set<std::uint32_t>& must_have) {
  const auto png = faultline::test::read_png(artifacts() / (name + ".png"));
  INFO(name << ".png: " << png.error);
  REQUIRE(png.valid);
  CHECK(png.width == static_cast<unsigned>(kWidth));
  CHECK(png.height == static_cast<unsigned>(kHeight));
  CHECK(png.non_white > 0.02);
  CHECK(png.colours.size() > 16);
  for (std::uint32_t colour : must_have) {
    INFO("colour #" << std::hex << colour);
    CHECK(png.colours.count(colour) == 1);
  }
}

// The sections of a page: the elements from one element of class `section_class` to the next.
std::vector<std::vector<Element>> sections(const std::vector<Element>& elements,
                                           const std::string& section_class) {
  std::vector<std::vector<Element>> out;
  for (const auto& e : elements) {
    if (e.tag == "section" && e.has_class(section_class)) out.emplace_back();
    if (!out.empty()) out.back().push_back(e);
  }
  return out;
}

std::vector<Element> with_class(const std::vector<Element>& elements, const std::string& cls) {
  std::vector<Element> out;
  for (const auto& e : elements)
    if (e.has_class(cls)) out.push_back(e);
  return out;
}

const Element& by_id(const std::vector<Element>& elements, const std::string& id) {
  for (const auto& e : elements)
    if (e.has("id") && e.at("id") == id) return e;
  FAIL("no element with id " << id);
  throw std::logic_error("unreachable");
}

// The data-outcome a process element must have, from its JSON.
std::string expected_outcome(const json& p) {
  if (!p.at("started").get<bool>()) return "not-started";
  if (p.at("killed_at_timeout").get<bool>()) return "killed-at-timeout";
  if (p.at("stopped_by_runner").get<bool>()) return "stopped";
  if (!p.at("signal").is_null()) return "signal";
  if (!p.at("exit_code").is_null()) return "exited";
  return "unknown";
}

// The run report's page against its JSON: summary, and per scenario its verdict, violations
// (root cause first), processes and fault markers.
void check_run_page(const std::vector<Element>& elements, const json& result) {
  const auto& scenarios = result.at("scenarios");
  std::size_t passed = 0, failed = 0, setup = 0;
  for (const auto& s : scenarios) {
    const std::string outcome = s.at("outcome");
    ++(outcome == "pass" ? passed : outcome == "fail" ? failed : setup);
  }
  const Element& summary = by_id(elements, "summary");
  CHECK(summary.at("data-scenarios") == std::to_string(scenarios.size()));
  CHECK(summary.at("data-passed") == std::to_string(passed));
  CHECK(summary.at("data-failed") == std::to_string(failed));
  CHECK(summary.at("data-setup") == std::to_string(setup));

  auto parts = sections(elements, "scenario");
  REQUIRE(parts.size() == scenarios.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& s = scenarios.at(i);
    const Element& section = parts[i].front();
    INFO("scenario " << s.at("scenario"));
    CHECK(section.at("data-scenario") == s.at("scenario").get<std::string>());
    CHECK(section.at("data-outcome") == s.at("outcome").get<std::string>());
    CHECK(section.at("data-seed") == std::to_string(s.at("seed").get<std::uint64_t>()));

    auto processes = with_class(parts[i], "process");
    REQUIRE(processes.size() == s.at("processes").size());
    for (std::size_t k = 0; k < processes.size(); ++k) {
      const auto& p = s.at("processes").at(k);
      CHECK(processes[k].at("data-name") == p.at("name").get<std::string>());
      CHECK(processes[k].at("data-outcome") == expected_outcome(p));
      if (!p.at("exit_code").is_null())
        CHECK(processes[k].at("data-exit-code") == std::to_string(p.at("exit_code").get<int>()));
    }

    // A bar per process that started (its start_ms), a ready mark per ready_ms.
    std::multiset<std::string> bars, bars_json, ready, ready_json;
    for (const auto& e : parts[i]) {
      if (e.tag == "rect" && e.has_class("bar")) bars.insert(e.at("data-process"));
      if (e.tag == "line" && e.has_class("ready")) ready.insert(e.at("data-process"));
    }
    for (const auto& p : s.at("processes")) {
      if (!p.at("start_ms").is_null()) bars_json.insert(p.at("name").get<std::string>());
      if (!p.at("ready_ms").is_null()) ready_json.insert(p.at("name").get<std::string>());
    }
    CHECK(bars == bars_json);
    CHECK(ready == ready_json);

    std::multiset<std::string> seqs_page, seqs_json;
    for (const auto& m : with_class(parts[i], "fault-marker")) seqs_page.insert(m.at("data-seq"));
    for (const auto& e : s.at("events")) seqs_json.insert(std::to_string(e.at("seq").get<int>()));
    CHECK(seqs_page == seqs_json);

    auto violations = with_class(parts[i], "violation");
    REQUIRE(violations.size() == s.at("violations").size());
    if (!violations.empty()) {
      CHECK(violations.front().has_class("root-cause"));
      CHECK(violations.front().at("data-kind") ==
            s.at("violations").at(0).at("kind").get<std::string>());
    }
    CHECK(with_class(parts[i], "fault").size() == s.at("faults").size());
  }
}

// The pass and fail colours of the badges (util/html.cc).
constexpr std::uint32_t kPassGreen = 0x1A7F37, kFailRed = 0xCF222E;

}  // namespace

TEST_CASE("the browser checks see a console message, a request of the page and a process left") {
  TempDir dir("flhtml");
  // A page that logs and loads an image from the network, with no policy to stop it.
  const fs::path open_page_file = dir.path() / "open.html";
  write(open_page_file,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>t</title></head><body>"
        "<p id=\"x\">x</p><img src=\"http://example.com/probe.png\"><script>"
        "console.error('deliberate error');document.getElementById('x').dataset.ran='yes';"
        "</script></body></html>\n");
  const std::string marker = "html-probe-" + std::to_string(::getpid());
  BrowserVisit visit = faultline::test::visit_with_chromium(open_page_file, dir.path() / "open.png",
                                                            marker, 800, 600, kBrowserDeadline);
  INFO("chromium log:\n" << visit.log.substr(0, 6000));
  REQUIRE(visit.finished);
  REQUIRE(visit.console.size() == 1);
  CHECK(visit.console.front().find("deliberate error") != std::string::npos);
  CHECK(visit.page_requests == std::set<std::string>{"http://example.com/probe.png"});
  // --dump-dom shows the DOM after the script ran.
  CHECK(visit.dom.find("data-ran=\"yes\"") != std::string::npos);
  CHECK(faultline::test::processes_marked(marker).empty());

  // The same load under the reports' policy: blocked, and the browser says so on the console.
  const fs::path strict_page = dir.path() / "strict.html";
  write(strict_page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta "
        "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
        "'unsafe-inline'; script-src 'unsafe-inline'\"><title>t</title></head><body>"
        "<img src=\"http://example.com/blocked.png\"></body></html>\n");
  visit = faultline::test::visit_with_chromium(strict_page, dir.path() / "strict.png", marker, 800,
                                               600, kBrowserDeadline);
  REQUIRE(visit.finished);
  REQUIRE(visit.console.size() == 1);
  CHECK(visit.console.front().find("Content Security Policy") != std::string::npos);
  CHECK(visit.page_requests.empty());
  CHECK(faultline::test::processes_marked(marker).empty());

  // The process check finds a process that carries the marker. The kernel fills in a new
  // program's environment after vfork's parent resumes: the child says when it runs.
  int up[2];
  REQUIRE(::pipe2(up, O_CLOEXEC) == 0);
  faultline::UniqueFd up_read(up[0]), up_write(up[1]);
  faultline::ProgramSpec spec;
  spec.argv = {"python3", "-c", "import time; print('up', flush=True); time.sleep(60)"};
  spec.search_path = true;
  spec.env = std::vector<std::string>{"FAULTLINE_BROWSER_MARKER=" + marker};
  spec.fds = {{1, up_write.get()}};
  auto started = faultline::spawn_program(spec);
  REQUIRE(started.child);
  up_write.reset();
  char line[3] = {};
  REQUIRE(::read(up_read.get(), line, sizeof line) == 3);
  CHECK(faultline::test::processes_marked(marker) == std::vector<pid_t>{started.child->pid});
  ::kill(started.child->pid, SIGKILL);
  [[maybe_unused]] int status = faultline::wait_for_exit(started.child->pid);
  CHECK(faultline::test::processes_marked(marker).empty());
}

TEST_CASE("the HTML report of a run shows in a browser what its JSON result says") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempDir dir("flhtml");
  // A process that prints markup and bytes that are not UTF-8: the page must show them as
  // text (a <script> of theirs would log on the console, an <img> would load).
  TempScenario shouter(
      "scenario: prints-markup\n"
      "timeout: 10s\n"
      "processes:\n"
      "  shouter:\n"
      "    run: [sh, \"${scenario_dir}/shout.sh\"]\n"
      "    expect: { exit: 0 }\n");
  write(shouter.dir() / "shout.sh",
        "printf '<script>console.error(\"injected\")</script><img src=\"http://example.com/x.png\" "
        "onerror=\"console.error(1)\">\\377\\376 & done\\n'\n"
        "printf '</pre></details><b id=\"summary\">forged</b>' >&2\n"
        "exit 3\n");
  const fs::path page = dir.path() / "run.html", result = dir.path() / "run.json";
  auto r = run_faultline({"run", (scenarios_dir() / "fifo/robust.yaml").string(),
                          (scenarios_dir() / "msgqueue/naive.yaml").string(),
                          shouter.path().string(), "--no-backtrace", "-j", "2", "--json",
                          result.string(), "--html", page.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const json j = load(result);
  REQUIRE(j.at("scenarios").size() == 3);
  CHECK(j.at("scenarios").at(0).at("outcome") == "pass");
  CHECK(j.at("scenarios").at(1).at("outcome") == "fail");

  BrowserVisit visit = open_page(page, "run");
  check_clean_load(visit);
  const auto elements = faultline::test::elements_of(visit.dom);
  check_self_contained(elements);
  check_run_page(elements, j);
  // The program's text is text: escaped markup, U+FFFD for the bytes that are not UTF-8, no
  // element of theirs (one element with id="summary", the page's).
  CHECK(visit.dom.find("&lt;script&gt;console.error(\"injected\")&lt;/script&gt;") !=
        std::string::npos);
  CHECK(visit.dom.find("\xEF\xBF\xBD\xEF\xBF\xBD & done") == std::string::npos);  // & escaped
  CHECK(visit.dom.find("\xEF\xBF\xBD\xEF\xBF\xBD &amp; done") != std::string::npos);
  std::size_t summaries = 0;
  for (const auto& e : elements) summaries += e.has("id") && e.at("id") == "summary" ? 1 : 0;
  CHECK(summaries == 1);
  // The run-again command of the failed scenario, with its seed.
  const auto& naive = j.at("scenarios").at(1);
  CHECK(faultline::test::text_of(visit.dom, by_id(elements, "rerun-2")) ==
        "faultline run " + naive.at("file").get<std::string>() + " --seed " +
            std::to_string(naive.at("seed").get<std::uint64_t>()));
  check_screenshot("run", {kPassGreen, kFailRed});
}

TEST_CASE("the HTML report of exec shows the program, its faults and how to run it again") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempDir dir("flhtml");
  const fs::path page = dir.path() / "exec.html", result = dir.path() / "exec.json";
  auto r = run_faultline({"exec", "--html", page.string(), "--json", result.string(), "--fault",
                          "read:error=EIO", "--", "sh", "-c", "seq 3 | cat"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const json j = load(result);
  REQUIRE(j.at("scenarios").size() == 1);
  const auto& s = j.at("scenarios").at(0);
  REQUIRE(s.at("events").size() >= 1);

  BrowserVisit visit = open_page(page, "exec");
  check_clean_load(visit);
  const auto elements = faultline::test::elements_of(visit.dom);
  check_self_contained(elements);
  check_run_page(elements, j);
  auto processes = with_class(elements, "process");
  REQUIRE(processes.size() == 1);
  CHECK(processes.front().at("data-exit-code") == "1");
  // No verdict of exec's own: the badge says how the program ended; its output went to the
  // terminal.
  auto badges = with_class(elements, "badge");
  REQUIRE_FALSE(badges.empty());
  CHECK(faultline::test::text_of(visit.dom, badges.front()) == "EXIT 1");
  CHECK(with_class(elements, "terminal").size() == 1);
  CHECK(faultline::test::text_of(visit.dom, by_id(elements, "rerun-1")) ==
        "faultline exec --fault read:error=EIO --seed " +
            std::to_string(s.at("seed").get<std::uint64_t>()) + " -- sh -c 'seq 3 | cat'");
  check_screenshot("exec", {kFailRed});
}

TEST_CASE("the HTML report of explore shows the matrix of fault points and the findings") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempDir dir("flhtml");
  const fs::path page = dir.path() / "explore.html", result = dir.path() / "explore.json";
  auto r =
      run_faultline({"explore", (build_dir() / "tests/explore/scenarios/short_read.yaml").string(),
                     "-j", "2", "--kinds", "short,error", "--no-recheck", "--html", page.string(),
                     "--json", result.string()},
                    {"FAULTLINE_TWIN=naive"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const json j = load(result);
  const auto& summary_json = j.at("summary");
  REQUIRE(j.at("scenarios").size() == 1);
  const auto& s = j.at("scenarios").at(0);
  REQUIRE_FALSE(s.at("findings").empty());

  BrowserVisit visit = open_page(page, "explore");
  check_clean_load(visit);
  const auto elements = faultline::test::elements_of(visit.dom);
  check_self_contained(elements);
  const Element& summary = by_id(elements, "summary");
  CHECK(summary.at("data-scenarios") == "1");
  CHECK(summary.at("data-points") == std::to_string(summary_json.at("points").get<int>()));
  CHECK(summary.at("data-points-run") == std::to_string(summary_json.at("points_run").get<int>()));
  CHECK(summary.at("data-findings") == std::to_string(summary_json.at("findings").get<int>()));

  // One square per point, coloured by the point's verdict.
  std::map<std::string, std::string> verdict_of;
  for (const auto& p : s.at("points"))
    verdict_of[p.at("id")] = p.contains("verdict") ? p.at("verdict").get<std::string>() : "not-run";
  auto points = with_class(elements, "point");
  REQUIRE(points.size() == verdict_of.size());
  std::map<std::string, int> per_verdict;
  for (const auto& p : points) {
    INFO("point " << p.at("data-id"));
    REQUIRE(verdict_of.count(p.at("data-id")) == 1);
    CHECK(p.at("data-verdict") == verdict_of.at(p.at("data-id")));
    ++per_verdict[p.at("data-verdict")];
  }
  for (const auto& [verdict, count] : summary_json.at("verdicts").items())
    CHECK(per_verdict[verdict] == count.get<int>());
  auto rows = with_class(elements, "site");
  std::size_t site_rows = 0;
  for (const auto& row : rows) site_rows += row.tag == "tr" ? 1 : 0;
  CHECK(site_rows == s.at("sites").size());

  // The findings, most severe first, each with its repro command as the JSON says it.
  auto findings = with_class(elements, "finding");
  REQUIRE(findings.size() == s.at("findings").size());
  for (std::size_t k = 0; k < findings.size(); ++k) {
    const auto& f = s.at("findings").at(k);
    CHECK(findings[k].at("data-verdict") == f.at("class").get<std::string>());
    CHECK(
        faultline::test::text_of(visit.dom, by_id(elements, "repro-1-" + std::to_string(k + 1))) ==
        f.at("repro").get<std::string>());
  }
  check_screenshot("explore", {kFailRed});

  // merge --html writes the same matrix from the JSON result (no browser needed for that).
  const fs::path merged = dir.path() / "merged.html";
  auto m = run_faultline({"merge", result.string(), "--html", merged.string()});
  INFO(m.out << m.err);
  CHECK(m.exit_code == 1);
  std::ifstream in(merged);
  const std::string merged_page((std::istreambuf_iterator<char>(in)), {});
  std::map<std::string, std::string> merged_verdicts;
  for (const auto& e : faultline::test::elements_of(merged_page))
    if (e.has_class("point")) merged_verdicts[e.at("data-id")] = e.at("data-verdict");
  CHECK(merged_verdicts == verdict_of);
}
