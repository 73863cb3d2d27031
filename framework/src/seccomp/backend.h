// Choosing the backend of a process (preload, seccomp, both) and what each can inject.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/fault_spec.h"
#include "faultline/scenario.h"

namespace faultline::seccomp {

[[nodiscard]] std::string_view to_string(Backend b);
[[nodiscard]] std::optional<Backend> backend_from_name(std::string_view name);

// An ELF executable without PT_INTERP: LD_PRELOAD can never reach it. False for scripts,
// unreadable files and anything that is not ELF.
[[nodiscard]] bool is_static_program(const std::filesystem::path& program);

struct BackendChoice {
  Backend backend = Backend::preload;
  std::string notice;  // set when the choice differs from what was asked, and why
};
// `asked` for `program`, except that a static program gets seccomp (preload alone would
// inject nothing into it).
[[nodiscard]] BackendChoice choose_backend(Backend asked, const std::filesystem::path& program,
                                           std::string_view process);

// The faults that apply to `process` and need the preload backend (short, eof, corrupt,
// reset, drop, spurious), as messages saying so; empty when all of them work under seccomp.
[[nodiscard]] std::vector<std::string> faults_needing_preload(const std::vector<FaultSpec>& faults,
                                                              std::string_view process);

}  // namespace faultline::seccomp
