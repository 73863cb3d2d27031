// explain_never_fired(); see never_fired.h.
#include "runner/never_fired.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "faultline_control.h"
#include "faults/call_table.h"

namespace faultline {
namespace {

std::string_view class_name(int fd_class) {
  switch (fd_class) {
    case FL_FD_IPC:
      return "an ipc fd";
    case FL_FD_FILE:
      return "a file fd";
    default:
      return "another kind of fd";
  }
}

}  // namespace

std::string explain_never_fired(const FaultSpec& fault, const std::vector<std::uint64_t>& misses,
                                const ProcessCallCounts& counts) {
  std::set<int> own;
  for (const auto& name : fault.calls)
    for (const CallInfo* c : resolve_call(name)) own.insert(c->id);
  const std::string calls = fmt::format("{}", fmt::join(fault.calls, "/"));
  const std::string who = fault.process.empty() ? "the processes" : fault.process;

  // The calls of the rule's process (of every process when the rule names none).
  std::map<std::string, std::uint64_t> made;
  bool seen = false;
  for (const auto& [process, list] : counts) {
    if (!fault.process.empty() && process != fault.process) continue;
    seen = true;
    for (const auto& c : list) made[c.call] += c.count;
  }
  std::uint64_t own_count = 0;
  for (const auto& [process, list] : counts) {
    if (!fault.process.empty() && process != fault.process) continue;
    for (const auto& c : list)
      if (own.count(c.call_id)) own_count += c.count;
  }

  std::string out;
  if (own_count == 0) {
    out = fmt::format("{} made no call of {}", who, calls);
  } else {
    auto miss = [&](int why) -> std::uint64_t {
      return static_cast<std::size_t>(why) < misses.size() ? misses[why] : 0;
    };
    std::vector<std::string> reasons;
    std::uint64_t other_class = 0;
    for (int k = 0; k < 4; ++k) other_class += miss(FL_MISS_CLASS + k);
    if (other_class > 0) {
      std::vector<std::string> where;
      for (int k = 0; k < 4; ++k)
        if (miss(FL_MISS_CLASS + k))
          where.push_back(fmt::format("{} on {}", miss(FL_MISS_CLASS + k), class_name(k)));
      reasons.push_back(fmt::format(
          "none on {} ({}{})", fault.fd == FdClass::file ? "a file fd" : "an ipc fd",
          fmt::join(where, ", "), fault.fd == FdClass::ipc ? "; fd=any matches every fd" : ""));
    }
    if (miss(FL_MISS_CHANNEL))
      reasons.push_back(
          fmt::format("{} on other objects than channel {}", miss(FL_MISS_CHANNEL), fault.channel));
    if (miss(FL_MISS_SIZE))
      reasons.push_back(fmt::format("{} asked for {} bytes or fewer, which short={} cannot shorten",
                                    miss(FL_MISS_SIZE), fault.short_bytes, fault.short_bytes));
    if (miss(FL_MISS_SITE))
      reasons.push_back(
          fmt::format("{} from elsewhere than site={}", miss(FL_MISS_SITE), fault.site));
    if (miss(FL_MISS_KIND))
      reasons.push_back(fmt::format("{} of spellings {} does not apply to", miss(FL_MISS_KIND),
                                    to_string(fault.action)));
    if (miss(FL_MISS_STREAM))
      reasons.push_back(fmt::format("{} not on a stream socket", miss(FL_MISS_STREAM)));
    out = fmt::format("{} call{} of {} {} made by {}", own_count, own_count == 1 ? "" : "s", calls,
                      own_count == 1 ? "was" : "were", who);
    if (!reasons.empty()) out += fmt::format(", {}", fmt::join(reasons, "; "));
  }
  // What the process did instead: the related calls it made, most frequent first.
  std::vector<std::pair<std::string, std::uint64_t>> others;
  for (const auto& [call, n] : made) {
    auto info = std::find_if(call_table().begin(), call_table().end(),
                             // A named copy: clang before 16 cannot capture a structured binding.
                             [&symbol = call](const CallInfo& c) { return c.symbol == symbol; });
    if (info != call_table().end() && own.count(info->id)) continue;
    others.emplace_back(call, n);
  }
  std::stable_sort(others.begin(), others.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (!others.empty()) {
    std::vector<std::string> parts;
    for (const auto& [call, n] : others) parts.push_back(fmt::format("{} ×{}", call, n));
    out += fmt::format("; calls made by {}: {}", who, fmt::join(parts, ", "));
  } else if (!seen && !fault.process.empty()) {
    out += fmt::format("; no counted call was seen from {} (did it run under the interposer?)",
                       fault.process);
  }
  return out;
}

}  // namespace faultline
