// Backend choice and the fault kinds seccomp can inject; see backend.h.
#include "seccomp/backend.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/unique_fd.h"

namespace faultline::seccomp {

std::string_view to_string(Backend b) {
  switch (b) {
    case Backend::preload:
      return "preload";
    case Backend::seccomp:
      return "seccomp";
    case Backend::both:
      return "both";
  }
  return "preload";
}

std::optional<Backend> backend_from_name(std::string_view name) {
  if (name == "preload") return Backend::preload;
  if (name == "seccomp") return Backend::seccomp;
  if (name == "both") return Backend::both;
  return std::nullopt;
}

bool is_static_program(const std::filesystem::path& program) {
  UniqueFd fd(::open(program.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  Elf64_Ehdr eh;
  if (::pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh)) return false;
  if (std::string_view(reinterpret_cast<const char*>(eh.e_ident), 4) !=
          "\x7f"
          "ELF" ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
    return false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (::pread(fd.get(), &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof ph)) !=
        static_cast<ssize_t>(sizeof ph))
      return false;
    if (ph.p_type == PT_INTERP) return false;
  }
  return eh.e_type == ET_EXEC || eh.e_type == ET_DYN;
}

BackendChoice choose_backend(Backend asked, const std::filesystem::path& program,
                             std::string_view process) {
  BackendChoice c{asked, ""};
  if (asked == Backend::preload && is_static_program(program)) {
    c.backend = Backend::seccomp;
    c.notice = fmt::format(
        "process '{}': {} is statically linked, so LD_PRELOAD cannot reach it; its faults are "
        "injected by the seccomp backend (write backend: seccomp to silence this notice)",
        process, program.string());
  }
  return c;
}

std::vector<std::string> faults_needing_preload(const std::vector<FaultSpec>& faults,
                                                std::string_view process) {
  std::vector<std::string> out;
  for (const auto& f : faults) {
    if (!f.process.empty() && f.process != process) continue;
    if (f.action == FaultAction::error || f.action == FaultAction::delay ||
        f.action == FaultAction::signal)
      continue;
    out.push_back(fmt::format(
        "fault {}: `{}` needs the preload backend, but process '{}' runs under seccomp, which "
        "can only fail a call with an errno, delay it or raise a signal; give the process "
        "backend: preload (or both), or use error=, delay= or signal=",
        f.to_string(), faultline::to_string(f.action), process));
  }
  return out;
}

}  // namespace faultline::seccomp
