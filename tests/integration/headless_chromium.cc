// Headless chromium for the HTML report tests; see headless_chromium.h.
#include "headless_chromium.h"

#include <fcntl.h>
#include <png.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "processes/spawn_program.h"
#include "util/temp_dir.h"
#include "util/unique_fd.h"

extern char** environ;

namespace faultline::test {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMarkerVariable = "FAULTLINE_BROWSER_MARKER=";

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<pid_t> children_of_self() {
  std::vector<pid_t> out;
  std::ifstream in("/proc/self/task/" + std::to_string(::getpid()) + "/children");
  pid_t pid = 0;
  while (in >> pid) out.push_back(pid);
  return out;
}

// In the helper process (a subreaper): starts chromium, waits for it until the deadline, then
// kills and reaps whatever of it is left, orphans included. Writes "FINISHED EXIT LEFTOVERS"
// to `report` and exits.
[[noreturn]] void run_browser(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, int out_fd, int err_fd,
                              std::chrono::seconds deadline, int report) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ProgramSpec spec;
  spec.argv = argv;
  spec.search_path = true;
  spec.env = env;
  spec.fds = {{0, devnull.get()}, {1, out_fd}, {2, err_fd}};
  spec.close_other_fds = true;
  StartOutcome started = spawn_program(spec);
  bool finished = false;
  int exit_code = -1;
  if (started.child) {
    pollfd p{started.child->pidfd.get(), POLLIN, 0};
    int ready = 0;
    do {
      ready = ::poll(&p, 1, static_cast<int>(deadline.count() * 1000));
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) ::kill(started.child->pid, SIGKILL);
    const int status = wait_for_exit(started.child->pid);
    finished = ready > 0;
    exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // Orphans of chromium were reparented to us: kill each until none is left to reap.
  std::set<pid_t> killed;
  for (;;) {
    for (pid_t pid : children_of_self())
      if (::kill(pid, SIGKILL) == 0) killed.insert(pid);
    int status = 0;
    if (::waitpid(-1, &status, 0) < 0 && errno == ECHILD) break;
  }
  const std::string line = std::to_string(finished ? 1 : 0) + " " + std::to_string(exit_code) +
                           " " + std::to_string(killed.size()) + "\n";
  [[maybe_unused]] auto written = ::write(report, line.data(), line.size());
  ::_exit(0);
}

// The URLs of the requests a page loaded from a file asked the network for: the NetLog's
// URL_REQUEST_START_JOB events whose network isolation key is the file's (chromium's own
// background requests have another key).
std::set<std::string> page_requests(const fs::path& netlog) {
  auto j = nlohmann::json::parse(read_file(netlog), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("the NetLog " + netlog.string() + " is not JSON");
  const auto& types = j.at("constants").at("logEventTypes");
  const int start_job = types.at("URL_REQUEST_START_JOB").get<int>();
  std::set<std::string> out;
  for (const auto& e : j.at("events")) {
    if (e.value("type", -1) != start_job || !e.contains("params")) continue;
    const auto& params = e.at("params");
    const std::string key = params.value("network_isolation_key", "");
    if (key.find("file://") != std::string::npos) out.insert(params.value("url", "?"));
  }
  return out;
}

std::string decode_entities(std::string_view text) {
  static const std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&amp;", "&"},   {"&lt;", "<"},  {"&gt;", ">"},
      {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, value] : kEntities) {
        if (text.substr(i, entity.size()) == entity) {
          out += value;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'; }

}  // namespace

BrowserVisit visit_with_chromium(const fs::path& page, const fs::path& screenshot,
                                 const std::string& marker, int width, int height,
                                 std::chrono::seconds deadline) {
  TempDir work("flbrowser");
  const fs::path out_file = work.path() / "dom.html", err_file = work.path() / "chromium.log",
                 netlog = work.path() / "netlog.json";
  const std::vector<std::string> argv{
      "chromium", "--headless", "--disable-gpu",
      "--no-sandbox",  // as root it runs only so; the page is our own
      "--user-data-dir=" + (work.path() / "profile").string(), "--no-first-run",
      "--disable-background-networking", "--disable-breakpad", "--enable-logging=stderr", "--v=0",
      // Nothing resolves: a request would fail, and the NetLog still shows it.
      "--host-resolver-rules=MAP * ~NOTFOUND", "--log-net-log=" + netlog.string(),
      "--window-size=" + std::to_string(width) + "," + std::to_string(height),
      "--screenshot=" + screenshot.string(), "--dump-dom", "file://" + fs::absolute(page).string()};
  // Its temporary files (a singleton socket folder, shared memory files) go to a folder of
  // the visit, removed with it even when the browser had to be killed.
  const fs::path tmp = work.path() / "tmp";
  fs::create_directory(tmp);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("TMPDIR=", 0) != 0) env.emplace_back(*e);
  env.push_back("TMPDIR=" + tmp.string());
  env.push_back(kMarkerVariable + marker);

  UniqueFd out(::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  UniqueFd err(::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  int report[2];
  if (!out || !err || ::pipe2(report, O_CLOEXEC) != 0)
    throw std::runtime_error("cannot set up the browser's output files");
  UniqueFd report_read(report[0]), report_write(report[1]);
  const pid_t helper = ::fork();
  if (helper < 0) throw std::runtime_error("fork failed");
  if (helper == 0) run_browser(argv, env, out.get(), err.get(), deadline, report_write.get());
  report_write.reset();
  std::string line;
  char buf[128];
  for (ssize_t n; (n = ::read(report_read.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  [[maybe_unused]] int status = wait_for_exit(helper);

  BrowserVisit visit;
  int finished = 0;
  std::istringstream(line) >> finished >> visit.exit_code >> visit.leftovers_killed;
  visit.finished = finished == 1;
  visit.dom = read_file(out_file);
  visit.log = read_file(err_file);
  std::istringstream log(visit.log);
  for (std::string l; std::getline(log, l);)
    if (l.find(":CONSOLE") != std::string::npos) visit.console.push_back(l);
  if (visit.finished) visit.page_requests = page_requests(netlog);
  return visit;
}

std::vector<pid_t> processes_marked(const std::string& marker) {
  const std::string needle = kMarkerVariable + marker;
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string environment = read_file(entry.path() / "environ");
    std::size_t start = 0;
    for (std::size_t end; (end = environment.find('\0', start)) != std::string::npos;
         start = end + 1) {
      if (environment.compare(start, end - start, needle) == 0) {
        out.push_back(std::stoi(name));
        break;
      }
    }
  }
  return out;
}

bool Element::has_class(const std::string& name) const {
  auto it = attributes.find("class");
  if (it == attributes.end()) return false;
  std::istringstream words(it->second);
  for (std::string w; words >> w;)
    if (w == name) return true;
  return false;
}

std::vector<Element> elements_of(const std::string& dom) {
  std::vector<Element> out;
  std::size_t i = 0;
  while ((i = dom.find('<', i)) != std::string::npos) {
    const std::size_t start = i++;
    if (i >= dom.size() || !std::isalpha(static_cast<unsigned char>(dom[i]))) continue;
    Element e;
    e.offset = start;
    while (i < dom.size() && !is_space(dom[i]) && dom[i] != '>' && dom[i] != '/')
      e.tag += static_cast<char>(std::tolower(static_cast<unsigned char>(dom[i++])));
    for (;;) {
      while (i < dom.size() && (is_space(dom[i]) || dom[i] == '/')) ++i;
      if (i >= dom.size() || dom[i] == '>') break;
      std::string name;
      while (i < dom.size() && !is_space(dom[i]) && dom[i] != '=' && dom[i] != '>' && dom[i] != '/')
        name += dom[i++];
      std::string value;
      if (i < dom.size() && dom[i] == '=') {
        ++i;
        // Chromium serializes every attribute value in double quotes.
        if (i < dom.size() && dom[i] == '"') {
          const std::size_t close = dom.find('"', i + 1);
          value = decode_entities(dom.substr(i + 1, close - i - 1));
          i = close + 1;
        }
      }
      e.attributes[name] = value;
    }
    out.push_back(e);
    if (e.tag == "script" || e.tag == "style") {
      const std::size_t end = dom.find("</" + e.tag, i);
      i = end == std::string::npos ? dom.size() : end;
    }
  }
  return out;
}

std::string text_of(const std::string& dom, const Element& e) {
  const std::size_t open_end = dom.find('>', e.offset);
  const std::size_t close = dom.find("</" + e.tag + ">", open_end);
  std::string inner = dom.substr(open_end + 1, close - open_end - 1);
  std::string text;
  bool in_tag = false;
  for (char c : inner) {
    if (c == '<') in_tag = true;
    if (!in_tag) text += c;
    if (c == '>') in_tag = false;
  }
  return decode_entities(text);
}

PngFacts read_png(const fs::path& file) {
  PngFacts facts;
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, file.c_str())) {
    facts.error = image.message;
    return facts;
  }
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) {
    facts.error = image.message;
    png_image_free(&image);
    return facts;
  }
  facts.valid = true;
  facts.width = image.width;
  facts.height = image.height;
  std::size_t non_white = 0;
  for (std::size_t p = 0; p + 2 < pixels.size(); p += 3) {
    const std::uint32_t rgb =
        (std::uint32_t{pixels[p]} << 16) | (std::uint32_t{pixels[p + 1]} << 8) | pixels[p + 2];
    facts.colours.insert(rgb);
    non_white += rgb != 0xFFFFFF ? 1 : 0;
  }
  facts.non_white = pixels.empty() ? 0 : static_cast<double>(non_white) / (pixels.size() / 3.0);
  return facts;
}

}  // namespace faultline::test
