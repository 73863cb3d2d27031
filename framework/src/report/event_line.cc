// Event lines; see event_line.h.
#include "report/event_line.h"

#include <fmt/format.h>

#include <string_view>

#include "faults/call_table.h"

namespace faultline {
namespace {

// Whether the call's object is a System V id rather than a file descriptor (calls.def).
bool takes_sysv_id(std::string_view call) {
  for (const CallInfo* c : resolve_call(call))
    if (c->object.substr(0, 3) == "ID(") return true;
  return false;
}

}  // namespace

std::string format_event(const FaultEvent& e) {
  std::string target;
  if (e.fd >= 0) target = fmt::format("{} {}", takes_sysv_id(e.call) ? "id" : "fd", e.fd);
  if (!e.channel.empty()) target += (target.empty() ? "on " : " on ") + e.channel;
  std::string thread = e.tid != 0 && e.tid != e.pid ? fmt::format(" tid {}", e.tid) : "";
  std::string outcome = fmt::format("{}", e.result);
  if (!e.error.empty()) outcome += " " + e.error;
  if (e.bytes > 0 && e.bytes != e.result) outcome += fmt::format(" ({} bytes)", e.bytes);
  std::string caller = e.caller != 0 ? fmt::format(" at {:#x}", e.caller) : "";
  std::string realism = e.unrealistic.empty() ? "" : " [" + why_text(e.unrealistic) + "]";
  return fmt::format("#{} +{:.1f}ms pid {}{} {} {}({}) -> {}{}{}", e.seq, e.time_ms, e.pid, thread,
                     e.process.empty() ? "?" : e.process, e.call, target, outcome, caller, realism);
}

}  // namespace faultline
