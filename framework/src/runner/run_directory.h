// RunDirectory: the private folder of one run (0700) and the manifest of the IPC objects
// created for it, so that `faultline gc` (and the next run) can remove what a killed
// runner left behind.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

class RunDirectory final {
 public:
  // Creates $TMPDIR/faultline-<label>-XXXXXX (default /tmp), mode 0700, and writes the
  // owner's pid and start time into it. Throws std::system_error when it cannot.
  explicit RunDirectory(std::string_view label);
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  // Removes every recorded object that still exists, then the folder and all it holds.
  ~RunDirectory();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  // A new empty file (0600) in the folder for ftok(); unique per name.
  [[nodiscard]] std::filesystem::path make_key_file(std::string_view name);

  // Manifest entries: kind is "shm", "msg", "sem" (SysV ids), "posix-mq", "posix-shm"
  // (names), or "path" (outside the folder). Appended and flushed at once.
  void record(std::string_view kind, std::string_view what);

 private:
  std::filesystem::path path_;
};

// Removes the run directories under $TMPDIR whose runner is no longer alive, with the
// objects their manifests list. Returns one line per thing removed.
std::vector<std::string> collect_garbage();

// Removes one manifest entry's object; true when something was removed.
bool remove_recorded_object(std::string_view kind, std::string_view what);

}  // namespace faultline
