// Program lookup; see program_path.h.
#include "runner/program_path.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace faultline {
namespace fs = std::filesystem;

namespace {
bool executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}
}  // namespace

std::optional<fs::path> resolve_program(const std::string& program, const fs::path& scenario_dir) {
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) {
    fs::path p = program;
    if (p.is_relative()) p = scenario_dir / p;
    p = p.lexically_normal();
    if (executable(p)) return p;
    return std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  std::string_view path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / program;
    if (executable(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

}  // namespace faultline
