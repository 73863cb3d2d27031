// RunFolder: what a channel needs of the run's private folder, a place for its files and the
// manifest in which it records the objects it creates (so that `faultline gc` can remove them
// after a crash). The runner's RunFolder is the implementation; the interface lives here so
// that channels, the lower layer, do not depend on the runner.
#pragma once

#include <filesystem>
#include <string_view>

namespace faultline {

class RunFolder {
 public:
  [[nodiscard]] virtual const std::filesystem::path& path() const = 0;

  // A new empty file (0600) in the folder for ftok(); unique per name.
  [[nodiscard]] virtual std::filesystem::path make_key_file(std::string_view name) = 0;

  // Manifest entries: kind is "shm", "msg", "sem" (SysV ids), "posix-mq", "posix-shm"
  // (names), or "path" (outside the folder). Appended and flushed at once.
  virtual void record(std::string_view kind, std::string_view what) = 0;

 protected:
  RunFolder() = default;
  RunFolder(const RunFolder&) = default;
  RunFolder& operator=(const RunFolder&) = default;
  ~RunFolder() = default;  // never owned through this interface
};

// Removes one manifest entry's object; true when something was removed.
bool remove_recorded_object(std::string_view kind, std::string_view what);

// Removes the System V object of kind "msg", "shm" or "sem" that has `key` (decimal), one
// whose key was recorded before it was made and whose id never was (its runner was killed in
// between). Returns "ID KEY" of what it removed, "" when there was none.
std::string remove_sysv_object_by_key(std::string_view kind, std::string_view key);

}  // namespace faultline
