// Names of the objects a run creates: POSIX IPC names unique across runs, and paths in the
// run directory derived from the channel name.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace faultline {

class RunFolder;

// `name` reduced to [A-Za-z0-9_-] and at most 64 characters, so it is safe in any name.
[[nodiscard]] std::string safe_component(std::string_view name);

// "/faultline-<pid>-<random>-<name>": for mq_open and shm_open. The pid and a random part
// keep parallel runs apart; the "faultline-" prefix lets leak checks find strays.
[[nodiscard]] std::string posix_ipc_name(std::string_view channel_name);

// "<run dir>/<name><extension>", with "-2", "-3" ... added while that path exists.
[[nodiscard]] std::filesystem::path fresh_path_in(const RunFolder& dir,
                                                  std::string_view channel_name,
                                                  std::string_view extension);

}  // namespace faultline
