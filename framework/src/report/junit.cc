// to_junit() and write_junit(); see junit.h. Boost.PropertyTree writes the XML (escaping
// included); program output may hold bytes XML 1.0 cannot carry, which become U+FFFD.
#include "report/junit.h"

#include <fmt/format.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "report/console.h"

namespace faultline {
namespace {

namespace pt = boost::property_tree;

// The length of the UTF-8 sequence at s[0..n) if it encodes a character XML 1.0 allows, else
// 0: no overlong forms, no surrogates, nothing above U+10FFFF, no U+FFFE or U+FFFF, and of
// the ASCII controls only tab, newline and carriage return.
std::size_t xml_char_length(const unsigned char* s, std::size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) return c >= 0x20 || c == '\t' || c == '\n' || c == '\r' ? 1 : 0;
  std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || len > n || c > 0xF4) return 0;
  std::uint32_t cp = c & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[len] || cp > 0x10FFFF) return 0;
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return len;
}

// Keeps what XML can carry; every other byte becomes U+FFFD.
std::string xml_text(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  for (std::size_t i = 0; i < in.size();) {
    std::size_t len = xml_char_length(s + i, in.size() - i);
    if (len > 0) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string seconds(Duration d) {
  return fmt::format("{:.3f}", std::chrono::duration<double>(d).count());
}

// "scenarios/tcp/accept.naive.yaml" -> "scenarios.tcp": where a CI view groups the cases.
// The folder as seen from the current directory when it is below it, else its own name.
std::string class_name(const ScenarioResult& r) {
  std::error_code ec;
  std::filesystem::path folder = r.file.parent_path();
  std::filesystem::path rel =
      std::filesystem::relative(folder, std::filesystem::current_path(), ec);
  if (ec || rel.empty() || *rel.begin() == "..") rel = folder.filename();
  std::string dir = rel == "." ? "" : rel.string();
  for (auto& c : dir) {
    if (c == '/') c = '.';
  }
  return dir.empty() ? "faultline" : dir;
}

}  // namespace

std::string to_junit(const std::vector<ScenarioResult>& results) {
  std::size_t failures = 0, errors = 0;
  Duration total{0};
  pt::ptree suite;
  for (const auto& r : results) {
    total += r.duration;
    pt::ptree tc;
    // --repeat: a testcase per run, so that each failing run keeps its seed and report.
    tc.put("<xmlattr>.name",
           xml_text(r.repetitions ? fmt::format("{} (run {}/{})", r.scenario, r.repetition,
                                                r.repetitions)
                                  : r.scenario));
    tc.put("<xmlattr>.classname", xml_text(class_name(r)));
    tc.put("<xmlattr>.file", xml_text(r.file.string()));
    tc.put("<xmlattr>.time", seconds(r.duration));
    std::ostringstream report;
    print_scenario(report, r, ConsoleStyle{false, true});
    if (!r.passed) {
      // A scenario that could not be set up is an error (it did not run), not a failure.
      const bool setup = r.setup_failed();
      ++(setup ? errors : failures);
      pt::ptree failure(xml_text(report.str()));
      const Violation* first = r.violations.empty() ? nullptr : &r.violations.front();
      failure.put("<xmlattr>.message", xml_text(first ? first->message : "failed"));
      failure.put("<xmlattr>.type", xml_text(first ? first->kind : "failed"));
      tc.add_child(setup ? "error" : "failure", failure);
    } else {
      tc.add_child("system-out", pt::ptree(xml_text(report.str())));
    }
    suite.add_child("testcase", tc);
  }
  suite.put("<xmlattr>.name", "faultline");
  suite.put("<xmlattr>.tests", results.size());
  suite.put("<xmlattr>.failures", failures);
  suite.put("<xmlattr>.errors", errors);
  suite.put("<xmlattr>.skipped", 0);
  suite.put("<xmlattr>.time", seconds(total));
  pt::ptree root;
  root.put("testsuites.<xmlattr>.name", "faultline");
  root.put("testsuites.<xmlattr>.tests", results.size());
  root.put("testsuites.<xmlattr>.failures", failures);
  root.put("testsuites.<xmlattr>.errors", errors);
  root.put("testsuites.<xmlattr>.time", seconds(total));
  root.get_child("testsuites").add_child("testsuite", suite);
  std::ostringstream out;
  pt::write_xml(out, root, pt::xml_writer_make_settings<std::string>(' ', 2));
  return out.str();
}

void write_junit(const std::filesystem::path& file, const std::vector<ScenarioResult>& results) {
  std::ofstream out(file);
  out << to_junit(results);
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace faultline
