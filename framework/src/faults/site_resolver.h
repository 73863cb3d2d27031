// Resolves a fault's `site=FUNCTION` or `site=FILE:LINE` into the code address ranges of the
// scenario's ELF programs (libdw), which the interposer compares the caller's address with.
#pragma once

#include <filesystem>
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
// named twice counts once. Never throws for bad input or files.
[[nodiscard]] SiteResolution resolve_site(std::string_view site,
                                          const std::vector<std::filesystem::path>& programs);

}  // namespace faultline
