// libdw.so.1 opened on first use: see libdw.h.
#include "faults/libdw.h"

#include <dlfcn.h>

namespace faultline {
namespace {

LibDw open_libdw() {
  LibDw dw;
  // RTLD_LOCAL: its symbols stay out of the runner's global scope; RTLD_NOW: a missing
  // function shows here, once, not as a crash in the middle of a resolution.
  void* handle = ::dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    dw.error = std::string("libdw.so.1 cannot be loaded (") + (why ? why : "no reason given") +
               "): install elfutils' libdw (Debian: libdw1) to use site= and to name call sites";
    return dw;
  }
  // Never closed: the process may ask again, and Dwfl sessions may outlive any one caller.
#define FAULTLINE_LIBDW_LOOKUP(name)                                     \
  dw.name = reinterpret_cast<decltype(dw.name)>(::dlsym(handle, #name)); \
  if (!dw.name && dw.error.empty())                                      \
    dw.error = "libdw.so.1 has no " #name                                \
               " (elfutils older than 0.158?): install a newer "         \
               "libdw1 to use site= and to name call sites";
  FAULTLINE_LIBDW_FUNCTIONS(FAULTLINE_LIBDW_LOOKUP)
#undef FAULTLINE_LIBDW_LOOKUP
  return dw;
}

}  // namespace

const LibDw& libdw() {
  static const LibDw loaded = open_libdw();
  return loaded;
}

}  // namespace faultline
