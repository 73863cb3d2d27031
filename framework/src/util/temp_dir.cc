// See temp_dir.h.
#include "util/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace faultline {
namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
  std::string templ = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + templ + " failed: " +
                             std::error_code(errno, std::system_category()).message() +
                             "; is TMPDIR writable?");
  }
  path_ = templ;
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void TempDir::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  path_.clear();
}

}  // namespace faultline
