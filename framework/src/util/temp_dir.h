// TempDir: a fresh private folder under $TMPDIR, removed with everything in it when its owner
// goes out of scope.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace faultline {

class TempDir final {
 public:
  // $TMPDIR/<prefix>-XXXXXX (mode 0700, mkdtemp). Throws when it cannot be made.
  explicit TempDir(std::string_view prefix = "fltest");
  // Removes the folder and everything in it; errors are ignored (nothing to report them to).
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // A path inside it, as text (for command lines and scripts).
  [[nodiscard]] std::string operator/(std::string_view name) const {
    return (path_ / name).string();
  }

 private:
  void remove() noexcept;

  std::filesystem::path path_;  // empty once moved from
};

}  // namespace faultline
