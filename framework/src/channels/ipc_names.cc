// Object names and paths of channels; see ipc_names.h.
#include "channels/ipc_names.h"

#include <unistd.h>

#include <random>

#include <fmt/format.h>

#include "channels/run_folder.h"

namespace faultline {

std::string safe_component(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (out.size() == 64) break;
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
    out += keep ? c : '_';
  }
  return out.empty() ? std::string("channel") : out;
}

std::string posix_ipc_name(std::string_view channel_name) {
  std::random_device random;
  return fmt::format("/faultline-{}-{:08x}-{}", ::getpid(), random(), safe_component(channel_name));
}

std::filesystem::path fresh_path_in(const RunFolder& dir, std::string_view channel_name,
                                    std::string_view extension) {
  std::string stem = safe_component(channel_name);
  for (int n = 1;; ++n) {
    auto p = dir.path() / (n == 1 ? fmt::format("{}{}", stem, extension)
                                  : fmt::format("{}-{}{}", stem, n, extension));
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(p, ec))) return p;
  }
}

}  // namespace faultline
