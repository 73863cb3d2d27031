// The interposed calls as the runner sees them: the rows of interpose/calls.def, plus
// errno and signal names. Drives spec validation and `faultline calls`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/fault_spec.h"

namespace faultline {

struct CallInfo {
  int id;                                // enum fl_call_id
  std::string_view symbol;               // "__read_chk"
  std::string_view base;                 // "read"
  std::string_view family;               // how the wrapper is made: "SYS", "IO", ... (calls.def)
  std::string_view returns;              // "ssize_t"
  std::string_view failure;              // "-1", "MAP_FAILED"
  std::string_view params;               // "(int fd, void* buf, size_t n, size_t buflen)"
  std::string_view object;               // "FD(fd)": what the call works on
  unsigned kinds;                        // FL_KIND(FL_ACT_...) bits
  std::vector<std::string_view> errnos;  // names, as in the man page
  // The errnos the kernel really returns for it, by how correct code must take them
  // (calls.def; explore_faults.h).
  std::vector<std::string_view> transient;
  std::vector<std::string_view> hard;
};

[[nodiscard]] const std::vector<CallInfo>& call_table();

// A base name covers all its spellings; a variant symbol only itself. Empty when unknown.
[[nodiscard]] std::vector<const CallInfo*> resolve_call(std::string_view name);

// Whether `kind` makes sense for the call / whether the man page lists `err` for it.
[[nodiscard]] bool call_allows(const CallInfo& call, FaultAction kind);
[[nodiscard]] bool call_allows_errno(const CallInfo& call, int err);

// "ECONNABORTED" <-> 103. nullopt / "" when unknown.
[[nodiscard]] std::optional<int> errno_from_name(std::string_view name);
[[nodiscard]] std::string errno_name(int err);
// Every name errno_from_name knows, by number (EWOULDBLOCK last): "did you mean" hints and
// `faultline schema`'s list of errnos.
[[nodiscard]] const std::vector<std::string_view>& errno_names();

// The fault kinds a call accepts, by name ("error", "short", ...), in FaultAction order.
[[nodiscard]] std::vector<std::string_view> kind_names(const CallInfo& call);

// Why a fault is not what the kernel does (enum fl_why, realism.h): its stable name
// ("eintr-no-handler", "" for none) and, from that name, the sentence reports print ("" when
// the name is unknown).
[[nodiscard]] std::string why_name(unsigned why);
[[nodiscard]] std::string why_text(std::string_view name);

// `faultline calls NAME`: which kinds apply to which fd types and in which states
// (realism.def and fl_impossible), one line each.
[[nodiscard]] std::vector<std::string> realism_lines(const CallInfo& call);

// The control-block action number of a FaultAction.
[[nodiscard]] unsigned action_code(FaultAction a);

}  // namespace faultline
