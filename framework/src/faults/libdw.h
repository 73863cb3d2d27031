// libdw (elfutils), opened with dlopen the first time a site is resolved or a call site
// named: most runs need neither, and a library linked to the runner is loaded and relocated
// at every start (libdw brings libelf, libz, liblzma and libbz2: five of its thirteen).
#pragma once

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <string>

namespace faultline {

// The libdw functions site_resolver.cc calls, one line each.
#define FAULTLINE_LIBDW_FUNCTIONS(X) \
  X(dwarf_getsrclines)               \
  X(dwarf_lineaddr)                  \
  X(dwarf_lineendsequence)           \
  X(dwarf_lineno)                    \
  X(dwarf_linesrc)                   \
  X(dwarf_onesrcline)                \
  X(dwfl_begin)                      \
  X(dwfl_build_id_find_elf)          \
  X(dwfl_end)                        \
  X(dwfl_errmsg)                     \
  X(dwfl_lineinfo)                   \
  X(dwfl_module_addrinfo)            \
  X(dwfl_module_getdwarf)            \
  X(dwfl_module_getelf)              \
  X(dwfl_module_getsrc)              \
  X(dwfl_module_getsym_info)         \
  X(dwfl_module_getsymtab)           \
  X(dwfl_module_info)                \
  X(dwfl_module_nextcu)              \
  X(dwfl_offline_section_address)    \
  X(dwfl_report_begin)               \
  X(dwfl_report_end)                 \
  X(dwfl_report_offline)             \
  X(dwfl_standard_find_debuginfo)

struct LibDw {
#define FAULTLINE_LIBDW_POINTER(name) decltype(&::name) name = nullptr;
  FAULTLINE_LIBDW_FUNCTIONS(FAULTLINE_LIBDW_POINTER)
#undef FAULTLINE_LIBDW_POINTER
  // "" when every function above was found; else why not, and what to install.
  std::string error;
  [[nodiscard]] bool ok() const { return error.empty(); }
};

// libdw.so.1, opened on the first call (thread-safe) and kept for the process.
[[nodiscard]] const LibDw& libdw();

}  // namespace faultline
