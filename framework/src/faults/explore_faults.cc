// explore's fault catalogue; see explore_faults.h. The knowledge is calls.def's (the transient
// and hard columns, FL_E_WOULDBLOCK, FL_E_CONNECTION) and realism.c's (fl_impossible); this
// file only applies it to the state a recording saw.
#include "faults/explore_faults.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>

#include "faultline_control.h"
#include "faults/call_table.h"
#include "realism.h"

// Only the family macros of calls.def (FL_E_WOULDBLOCK, FL_E_CONNECTION), no row.
#define FL_CALL(...)
#include "calls.def"
#undef FL_CALL

namespace faultline {
namespace {

constexpr std::array<std::string_view, 8> kShapeNames = {"unknown", "pipe", "stream",  "message",
                                                         "record",  "anon", "regular", "other"};

const CallInfo* find_call(std::string_view call) {
  for (const auto& c : call_table())
    if (c.symbol == call) return &c;
  auto by_base = resolve_call(call);
  return by_base.empty() ? nullptr : by_base.front();
}

// Whether the errno named `name` is one of `names` (by value: EAGAIN is EWOULDBLOCK).
bool lists(const std::vector<std::string_view>& names, std::string_view name) {
  auto err = errno_from_name(name);
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) {
    return n == name || (err && errno_from_name(n) == err);
  });
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto start = s.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    s.remove_prefix(start);
    auto end = s.find(' ');
    out.push_back(s.substr(0, end));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end);
  }
  return out;
}

const std::vector<std::string_view>& would_block() {
  static const std::vector<std::string_view> w = words(FL_E_WOULDBLOCK);
  return w;
}

const std::vector<std::string_view>& connection_errnos() {
  static const std::vector<std::string_view> w = words(FL_E_CONNECTION);
  return w;
}

// Errors the seccomp backend cannot inject as the kernel returns them (docs/seccomp.md,
// Limits): Linux closes the fd whatever close reports, keeps a TCP connect going after EINTR,
// and the runner can only fail such a call, never carry out its part of it. Under seccomp
// these would be faults no kernel produces, so explore leaves them out there.
bool seccomp_unfaithful(const CallInfo& call, std::string_view err) {
  if (call.base == "close" || call.base == "shmdt") return true;
  if (call.base == "connect")
    return err == "EINTR" || err == "EINPROGRESS" || err == "EALREADY" || err == "EISCONN";
  return false;
}

bool possible(const CallInfo& call, unsigned action, unsigned shape) {
  return fl_impossible(call.id, action, shape) == FL_WHY_NONE;
}

// The kinds besides errors, in FaultAction order, then the crash.
void add_other_kinds(const CallInfo& call, const RecordedCall& site, unsigned shape,
                     std::vector<CandidateFault>& out) {
  if (!site.seccomp) {
    // short=1: the smallest shortening, which every transfer the rule matches (it asks for
    // more than 1) really suffers; for *mmsg, one message of a batch.
    if (call_allows(call, FaultAction::short_transfer) && site.short_realistic &&
        possible(call, FL_ACT_SHORT, shape))
      out.push_back({"short", "short=1", FaultClass::transient});
    if (call_allows(call, FaultAction::eof) && (shape == FL_SHAPE_PIPE || shape == FL_SHAPE_STREAM))
      out.push_back({"eof", "eof", FaultClass::hard});
    if (call_allows(call, FaultAction::reset) && shape == FL_SHAPE_STREAM)
      out.push_back({"reset", "reset", FaultClass::hard});
    // Only a datagram can be lost: a System V or POSIX queue never loses a message it
    // accepted, a stream never loses bytes.
    if (call_allows(call, FaultAction::drop) && possible(call, FL_ACT_DROP, shape) &&
        shape == FL_SHAPE_MESSAGE)
      out.push_back({"drop", "drop", FaultClass::transient});
    if (call_allows(call, FaultAction::spurious))
      out.push_back({"spurious", "spurious", FaultClass::transient});
  }
  out.push_back({"crash", "signal=SIGKILL", FaultClass::hard});
}

}  // namespace

std::string_view shape_name(unsigned shape) {
  return shape < kShapeNames.size() ? kShapeNames[shape] : kShapeNames[FL_SHAPE_UNKNOWN];
}

unsigned shape_from_name(std::string_view name) {
  for (unsigned s = 0; s < kShapeNames.size(); ++s)
    if (kShapeNames[s] == name) return s;
  return FL_SHAPE_UNKNOWN;
}

std::vector<CandidateFault> candidate_faults(const RecordedCall& site, ErrnoSet set) {
  std::vector<CandidateFault> out;
  const CallInfo* call = find_call(site.call);
  if (!call) return out;
  const unsigned shape = shape_from_name(site.shape);
  std::vector<int> taken;  // errno values already listed (EAGAIN is EWOULDBLOCK)
  for (std::string_view name : call->errnos) {
    auto err = errno_from_name(name);
    if (!err || std::find(taken.begin(), taken.end(), *err) != taken.end()) continue;
    // EAGAIN where only a socket timeout makes it happen is the program's own deadline
    // expiring: giving up then is its policy, so the fault is hard there.
    const bool own_deadline =
        lists(would_block(), name) && site.eagain_realistic && !site.eagain_nonblocking;
    const bool transient = lists(call->transient, name) && !own_deadline;
    if (set == ErrnoSet::realistic) {
      if (!lists(call->transient, name) && !lists(call->hard, name)) continue;
      if (*err == EINTR && !site.eintr_realistic) continue;
      if (lists(would_block(), name) && !site.eagain_realistic) continue;
      // Calls whose non-blocking mode is a flag argument (IPC_NOWAIT for msgsnd, msgrcv and
      // semop) or a connect in progress: the recording cannot tell that mode, so their
      // would-block errnos are left to --errnos all rather than planned on blocking calls.
      if (lists(would_block(), name) && !(fl_call_realism(call->id) & FL_R_EAGAIN_NB)) continue;
      if (lists(connection_errnos(), name) && (shape == FL_SHAPE_PIPE || shape == FL_SHAPE_MESSAGE))
        continue;
    }
    if (site.seccomp && seccomp_unfaithful(*call, name)) continue;
    taken.push_back(*err);
    out.push_back({"error", "error=" + std::string(name),
                   transient ? FaultClass::transient : FaultClass::hard});
  }
  add_other_kinds(*call, site, shape, out);
  return out;
}

FaultClass fault_class(std::string_view call, std::string_view action) {
  action = action.substr(0, action.find(':'));
  const auto eq = action.find('=');
  const std::string_view kind = action.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? "" : action.substr(eq + 1);
  if (kind == "error") {
    const CallInfo* c = find_call(call);
    return c && lists(c->transient, value) ? FaultClass::transient : FaultClass::hard;
  }
  // A short transfer, a lost datagram or queue message, a readiness that is not there and a
  // delay (within the scenario's timeout) are what the kernel does on any good day; an end of
  // file, a reset, corrupted data and a killed process end the conversation.
  if (kind == "short" || kind == "drop" || kind == "spurious" || kind == "delay")
    return FaultClass::transient;
  return FaultClass::hard;
}

std::string_view to_string(FaultClass c) {
  switch (c) {
    case FaultClass::transient:
      return "transient";
    case FaultClass::hard:
      return "hard";
  }
  return "hard";
}

}  // namespace faultline
