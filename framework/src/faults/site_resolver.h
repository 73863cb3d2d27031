// Resolves a fault's `site=FUNCTION` or `site=FILE:LINE` into the code address ranges of the
// scenario's ELF programs (libdw), which the interposer compares the caller's address with;
// and the other way round, names the code at an address (a recorded call site).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faultline_control.h"

namespace faultline {

struct SiteResolution {
  // At most FL_SITE_RANGES ranges in link-time addresses of the file (dev, ino); empty when
  // `error` is set.
  std::vector<fl_site_range> ranges;
  // "" on success, else a message that starts with "site=TEXT: " and says how to fix it.
  std::string error;
  [[nodiscard]] bool ok() const { return error.empty(); }
};

// `site` is FUNCTION (a symbol of the symbol table, also its GCC clones such as `f.cold` and,
// for C++, the demangled name without parameters) or FILE:LINE (the rows of the line table
// for that line, FILE matching a source path by its trailing components; needs -g).
// `programs` are the files the scenario's processes run; programs that are no ELF file
// (scripts) or cannot be read are skipped, and a site none of them has is an error. A file
// named twice counts once. Or MODULE+0xOFFSET (what a recording prints): the call whose
// return address is the link-time address OFFSET of MODULE, the basename of one of
// `programs` or the absolute path of any ELF file. Never throws for bad input or files.
// A calling context INNER<CALLER<... (fault_spec.h) resolves when every frame does; its
// ranges are then the innermost frame's (ControlBlock resolves the others frame by frame).
// Results are remembered for the process, keyed by the text and the files' identity and
// modification time (thread-safe).
[[nodiscard]] SiteResolution resolve_site(std::string_view site,
                                          const std::vector<std::filesystem::path>& programs);

// Names code by its link-time addresses in ELF files, keeping each file open (libdw) for the
// next question. Not thread-safe.
class Symbolizer final {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;
  struct Code {
    std::string function;  // symbol holding it (demangled for C++), "" when none says
    std::string location;  // "file.c:42" from the line table, "" without debug info
  };
  // The code holding the return address `offset` of `module` (the call just before it).
  [[nodiscard]] Code at_return_address(const std::filesystem::path& module, std::uint64_t offset);

 private:
  struct Files;
  std::unique_ptr<Files> files_;
};

}  // namespace faultline
