// Opens a page in Debian's chromium, headless, for the tests of the HTML reports: the DOM
// after the page's scripts ran (--dump-dom), a screenshot, every console message the page
// caused (--enable-logging=stderr prints them as CONSOLE lines) and every network request it
// made (a NetLog, --log-net-log). Chromium runs under a subreaper of its own, which kills
// whatever of it is left when the browser's main process ends (its crash handler outlives it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace faultline::test {

struct BrowserVisit {
  bool finished = false;  // the browser ended before the deadline
  int exit_code = -1;
  std::string dom;                      // the DOM after scripts ran, serialized
  std::vector<std::string> console;     // one entry per CONSOLE line of the log
  std::set<std::string> page_requests;  // URLs the page asked the network for
  std::string log;                      // chromium's stderr, for messages
  std::size_t leftovers_killed = 0;     // its processes still alive after the main one ended
};

// Opens `page` (a file) in a window of `width` x `height`, writes the screenshot to
// `screenshot`. `marker` goes into the browser's environment (FAULTLINE_BROWSER_MARKER) so
// that processes_marked() finds every process of it.
[[nodiscard]] BrowserVisit visit_with_chromium(const std::filesystem::path& page,
                                               const std::filesystem::path& screenshot,
                                               const std::string& marker, int width, int height,
                                               std::chrono::seconds deadline);

// The pids of the processes whose environment holds FAULTLINE_BROWSER_MARKER=`marker`.
[[nodiscard]] std::vector<pid_t> processes_marked(const std::string& marker);

// One start tag of a serialized DOM, its attributes decoded.
struct Element {
  std::string tag;
  std::map<std::string, std::string> attributes;
  std::size_t offset = 0;  // where its tag starts in the DOM text
  [[nodiscard]] bool has_class(const std::string& name) const;
  [[nodiscard]] bool has(const std::string& attribute) const {
    return attributes.count(attribute) > 0;
  }
  [[nodiscard]] const std::string& at(const std::string& attribute) const {
    return attributes.at(attribute);
  }
};

// Every element of `dom` in document order; the text of <script> and <style> is skipped.
[[nodiscard]] std::vector<Element> elements_of(const std::string& dom);
// The text of the element whose start tag is at `offset` up to its end tag `</tag>` (no
// nested element of the same tag), entities decoded and inner tags dropped.
[[nodiscard]] std::string text_of(const std::string& dom, const Element& e);

struct PngFacts {
  bool valid = false;
  std::string error;
  unsigned width = 0, height = 0;
  double non_white = 0;             // fraction of the pixels that are not white
  std::set<std::uint32_t> colours;  // 0xRRGGBB of every pixel (opaque)
};
[[nodiscard]] PngFacts read_png(const std::filesystem::path& file);

}  // namespace faultline::test
