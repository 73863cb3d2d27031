// faultline(1) (docs/faultline.1) kept in step with the CLI: every option a command's --help
// lists is documented in that command's section of the man page, and every option the man
// page documents exists. The page renders without warnings and `man` finds it once installed.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::run_command;
using faultline::test::run_faultline;

namespace {

// Command ("" for faultline itself) -> its options, spelled as on the command line.
using OptionsByCommand = std::map<std::string, std::set<std::string>>;

fs::path man_page_source() { return fs::path(FAULTLINE_SOURCE_DIR) / "docs/faultline.1"; }

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The entries of one section of CLI11's help ("Options:", "Subcommands:"): the first word of
// each line indented by exactly two spaces (wrapped descriptions are indented further).
std::vector<std::string> help_section(const std::string& help, const std::string& title) {
  std::vector<std::string> words;
  bool inside = false;
  for (const auto& line : lines_of(help)) {
    if (!line.empty() && line[0] != ' ') {
      inside = line == title;
      continue;
    }
    if (inside && line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ')
      words.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return words;
}

std::set<std::string> help_options(const std::string& help) {
  std::set<std::string> options;
  for (const auto& names : help_section(help, "Options:")) {
    std::istringstream split(names);  // "-j,--jobs"; "--pause-on-fault{*}": a flag's default
    for (std::string name; std::getline(split, name, ',');) options.insert(name.substr(0, name.find('{')));
  }
  return options;
}

std::string help_of(const std::vector<std::string>& args) {
  CommandResult r = run_faultline(args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// What --help says: faultline's own options and those of each command. CLI11 gives every
// command -h,--help; the man page documents them once, under OPTIONS.
OptionsByCommand options_from_help() {
  const std::string top = help_of({"--help"});
  OptionsByCommand options{{"", help_options(top)}};
  for (const auto& command : help_section(top, "Subcommands:")) {
    auto& own = options[command] = help_options(help_of({command, "--help"}));
    own.erase("-h");
    own.erase("--help");
  }
  return options;
}

// The options a roff tag line names: "\fB\-j\fR, \fB\-\-jobs\fR \fIN\fR" -> -j, --jobs.
std::set<std::string> options_in_tag(std::string tag) {
  tag = std::regex_replace(tag, std::regex(R"(\\-)"), "-");
  tag = std::regex_replace(tag, std::regex(R"(\\f[BIRP])"), "");
  static const std::regex option(R"((?:^|[\s,\[|])(--?[A-Za-z][A-Za-z0-9-]*))");
  std::set<std::string> names;
  for (std::sregex_iterator it(tag.begin(), tag.end(), option), end; it != end; ++it)
    names.insert((*it)[1]);
  return names;
}

// What the man page documents: the tag lines (the line after .TP) of each command's section
// (.SS faultline COMMAND), and of OPTIONS for faultline's own. Options named in running text
// ("see --json") are references, not documentation, and do not count.
OptionsByCommand options_from_man(const std::string& roff) {
  OptionsByCommand options;
  const std::string* const none = nullptr;  // outside a command's section and OPTIONS
  const std::string* section = none;
  std::string current;
  bool tag_next = false;
  for (const auto& line : lines_of(roff)) {
    if (line.rfind(".SH", 0) == 0) {
      section = none;
      if (line == ".SH OPTIONS") {
        current.clear();
        section = &current;
        options[current];
      }
    } else if (line.rfind(".SS", 0) == 0) {
      section = none;
      static const std::regex command(R"re(\.SS "?faultline ([a-z-]+)"?)re");
      std::smatch m;
      if (std::regex_match(line, m, command)) {
        current = m[1];
        section = &current;
        options[current];
      }
    } else if (tag_next && section) {
      options[*section].merge(options_in_tag(line));
    }
    tag_next = line.rfind(".TP", 0) == 0;
  }
  return options;
}

std::string joined(const std::set<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string difference(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> only_a;
  for (const auto& w : a)
    if (!b.count(w)) only_a.insert(w);
  return joined(only_a);
}

std::string fmt_line(const std::string& text) { return "  " + text + "\n"; }

// "" when the two agree; else one line per command and direction, naming the options.
std::string drift(const OptionsByCommand& help, const OptionsByCommand& man) {
  std::string out;
  auto name = [](const std::string& command) {
    return command.empty() ? std::string("faultline") : "faultline " + command;
  };
  for (const auto& [command, options] : help) {
    auto documented = man.find(command);
    if (documented == man.end()) {
      out += fmt_line(name(command) +
                      ": a command of `faultline --help` with no section "
                      "(.SS faultline " +
                      command + ") in the man page; its options: " +
                      (options.empty() ? std::string("none") : joined(options)));
      continue;
    }
    if (auto missing = difference(options, documented->second); !missing.empty())
      out += fmt_line(name(command) + ": in --help, not in the man page: " + missing);
    if (auto extra = difference(documented->second, options); !extra.empty())
      out += fmt_line(name(command) + ": in the man page, not in --help: " + extra);
  }
  for (const auto& [command, options] : man)
    if (!help.count(command))
      out += fmt_line(name(command) + ": a section of the man page, no command of --help");
  return out;
}

}  // namespace

TEST_CASE("The man page documents every option --help lists, and no other", "[packaging][man]") {
  std::string differences =
      drift(options_from_help(), options_from_man(read_text(man_page_source())));
  INFO("docs/faultline.1 and --help differ (add or remove the options' .TP entries):\n"
       << differences);
  CHECK(differences.empty());
}

TEST_CASE("The drift check names each missing and each extra option, per command",
          "[packaging][man]") {
  const OptionsByCommand help = options_from_help();
  std::string roff = read_text(man_page_source());
  // run loses its --seed entry; merge gains a --bogus one; gc's section goes.
  auto cut = [&](const std::string& from, const std::string& to) {
    auto at = roff.find(from);
    REQUIRE(at != std::string::npos);
    roff.replace(at, from.size(), to);
  };
  cut(".TP\n\\fB\\-\\-seed\\fR \\fIN\\fR\nSeed for probabilistic faults and delay", "");
  cut(".SS faultline merge\n", ".SS faultline merge\n.TP\n\\fB\\-\\-bogus\\fR\nNo such option.\n");
  cut(".SS faultline gc\n", ".SS faultline-gc\n");
  CHECK(drift(help, options_from_man(roff)) ==
        "  faultline gc: a command of `faultline --help` with no section (.SS faultline gc) in "
        "the man page; its options: --kept\n"
        "  faultline merge: in the man page, not in --help: --bogus\n"
        "  faultline run: in --help, not in the man page: --seed\n");
}

TEST_CASE("The man page names the version faultline --version prints", "[packaging][man]") {
  CommandResult version = run_faultline({"--version"});
  REQUIRE(version.exit_code == 0);
  std::string th;
  for (const auto& line : lines_of(read_text(man_page_source())))
    if (line.rfind(".TH ", 0) == 0) th = line;
  INFO(th);
  CHECK(th.find('"' + version.out.substr(0, version.out.find('\n')) + '"') != std::string::npos);
}

TEST_CASE("The man page renders without a warning from groff or man", "[packaging][man]") {
  const std::string page = man_page_source().string();
  CommandResult groff = run_command({"groff", "-man", "-Tutf8", "-ww", "-z", page});
  INFO(groff.err);
  CHECK(groff.exit_code == 0);
  CHECK(groff.err.empty());

  CommandResult man = run_command({"man", "--warnings", "-P", "cat", "-l", page},
                                  {"MANWIDTH=80", "LC_ALL=C.UTF-8"});
  INFO(man.err);
  CHECK(man.exit_code == 0);
  CHECK(man.err.empty());
  for (const char* heading : {"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS",
                              "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"})
    CHECK(man.out.find(std::string("\n") + heading + "\n") != std::string::npos);
  CHECK(man.out.find("faultline - test IPC code under failure") != std::string::npos);
  CHECK(man.out.find("strace(1)") != std::string::npos);
}

TEST_CASE("man finds faultline(1) where cmake --install put it", "[packaging][man]") {
  faultline::TempDir prefix("fl-man");
  CommandResult install =
      run_command({FAULTLINE_CMAKE_COMMAND, "--install", faultline::test::build_dir().string(),
                   "--prefix", prefix.path().string()});
  INFO(install.out << install.err);
  REQUIRE(install.exit_code == 0);
  const fs::path installed = prefix.path() / "share/man/man1/faultline.1.gz";
  REQUIRE(fs::is_regular_file(installed));
  // Debian's form: gzip -9n, and it is the page of the source tree.
  CommandResult unpacked = run_command({"gzip", "-dc", installed.string()});
  CHECK(unpacked.out == read_text(man_page_source()));
  CHECK_FALSE(fs::exists(prefix.path() / "share/doc/faultline/faultline.1"));

  CommandResult man =
      run_command({"man", "-M", (prefix.path() / "share/man").string(), "-P", "cat", "faultline"},
                  {"MANWIDTH=80", "LC_ALL=C.UTF-8"});
  INFO(man.err);
  CHECK(man.exit_code == 0);
  CHECK(man.out.find("faultline - test IPC code under failure") != std::string::npos);
}
