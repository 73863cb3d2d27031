// The call table, built from interpose/calls.def; see call_table.h.
#include "faults/call_table.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "faultline_control.h"
#include "realism.h"

namespace faultline {
namespace {

// Errno numbers with a name on Linux stay below this (EHWPOISON is 133).
constexpr int kErrnoEnd = 200;

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  while (!s.empty()) {
    auto start = s.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    s.remove_prefix(start);
    auto end = s.find(' ');
    words.push_back(s.substr(0, end));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end);
  }
  return words;
}

}  // namespace

const std::vector<CallInfo>& call_table() {
  static const std::vector<CallInfo> table = [] {
    std::vector<CallInfo> t;
#define FL_CALL(name, base, family, ret, fail, params, args, object, kinds, errnos, transient, \
                hard, data)                                                                    \
  t.push_back(CallInfo{FL_CALL_##name, #name, #base, #family, #ret, #fail, #params, #object,   \
                       (kinds), split_words(errnos), split_words(transient), split_words(hard)});
#include "calls.def"
#undef FL_CALL
    return t;
  }();
  return table;
}

std::vector<const CallInfo*> resolve_call(std::string_view name) {
  std::vector<const CallInfo*> out;
  for (const auto& c : call_table()) {
    if (c.base == name) out.push_back(&c);
  }
  if (out.empty()) {
    for (const auto& c : call_table()) {
      if (c.symbol == name) out.push_back(&c);
    }
  }
  return out;
}

unsigned action_code(FaultAction a) {
  switch (a) {
    case FaultAction::error:
      return FL_ACT_ERROR;
    case FaultAction::short_transfer:
      return FL_ACT_SHORT;
    case FaultAction::eof:
      return FL_ACT_EOF;
    case FaultAction::delay:
      return FL_ACT_DELAY;
    case FaultAction::reset:
      return FL_ACT_RESET;
    case FaultAction::corrupt:
      return FL_ACT_CORRUPT;
    case FaultAction::drop:
      return FL_ACT_DROP;
    case FaultAction::signal:
      return FL_ACT_SIGNAL;
    case FaultAction::spurious:
      return FL_ACT_SPURIOUS;
  }
  return FL_ACT_NONE;
}

std::vector<std::string_view> kind_names(const CallInfo& call) {
  std::vector<std::string_view> out;
  for (FaultAction a : {FaultAction::error, FaultAction::short_transfer, FaultAction::eof,
                        FaultAction::delay, FaultAction::reset, FaultAction::corrupt,
                        FaultAction::drop, FaultAction::signal, FaultAction::spurious})
    if (call_allows(call, a)) out.push_back(to_string(a));
  return out;
}

std::string why_name(unsigned why) { return fl_why_name(why); }

std::string why_text(std::string_view name) {
  if (name.empty()) return "";
  for (unsigned why = 1; why < 64; ++why)
    if (name == fl_why_name(why)) return fl_why_text(why);
  return "";
}

std::vector<std::string> realism_lines(const CallInfo& call) {
  std::vector<std::string> out;
  auto allows = [&](unsigned action) { return (call.kinds & FL_KIND(action)) != 0; };
  const bool fd = call.object.substr(0, 3) == "FD(";
  if (fd && allows(FL_ACT_SHORT)) {
    if (fl_impossible(call.id, FL_ACT_SHORT, FL_SHAPE_MESSAGE) != FL_WHY_NONE)
      out.push_back(
          "short    not on a datagram or SOCK_SEQPACKET socket (a message travels "
          "whole); not on eventfd, signalfd, timerfd, inotify (records)");
    else
      out.push_back("short    counts messages; not on eventfd, signalfd, timerfd, inotify");
  }
  if (fd && allows(FL_ACT_EOF))
    out.push_back(
        "eof      not on eventfd, signalfd, timerfd, inotify (their reads never return 0)");
  if (fd && allows(FL_ACT_DROP))
    out.push_back(
        "drop     not on a pipe, FIFO or stream socket (they lose nothing they accepted)");
  if (fd && allows(FL_ACT_RESET)) out.push_back("reset    on a stream socket only");
  unsigned r = fl_call_realism(call.id);
  if (!(r & FL_R_WAITS)) {
    out.push_back("EINTR    unrealistic: the call never waits, so no signal interrupts it");
  } else {
    std::string when =
        r & FL_R_STOPEINTR ? "always realistic (a SIGSTOP and SIGCONT suffice, signal(7))"
        : r & FL_R_NORESTART
            ? "realistic when any signal handler is installed (never restarted, signal(7))"
            : "realistic when a signal handler without SA_RESTART is installed";
    if (r & (FL_R_TIMEO_RCV | FL_R_TIMEO_SND))
      when += std::string("; always on a socket with ") +
              (r & FL_R_TIMEO_RCV ? "SO_RCVTIMEO" : "SO_SNDTIMEO") + " set";
    if (r & FL_R_FDWAIT) when += "; never on a non-blocking fd or a regular file";
    out.push_back("EINTR    " + when);
  }
  if (r & FL_R_EAGAIN_NB)
    out.push_back(
        std::string("EAGAIN   realistic on a non-blocking fd (O_NONBLOCK, MSG_DONTWAIT)") +
        (r & (FL_R_TIMEO_RCV | FL_R_TIMEO_SND) ? " or when the socket timeout expires" : "") +
        "; unrealistic on a blocking one");
  if (r & FL_R_PIPE_WRITE)
    out.push_back(
        "short    on a pipe or FIFO: unrealistic for at most PIPE_BUF (4096) bytes "
        "(atomic), and for a blocking write with no signal handler installed");
  if (r & FL_R_STREAM_SEND)
    out.push_back(
        "short    on a blocking stream socket: unrealistic unless a signal handler or "
        "SO_SNDTIMEO can cut it short");
  return out;
}

bool call_allows(const CallInfo& call, FaultAction kind) {
  return (call.kinds & FL_KIND(action_code(kind))) != 0;
}

bool call_allows_errno(const CallInfo& call, int err) {
  std::string name = errno_name(err);
  if (std::find(call.errnos.begin(), call.errnos.end(), name) != call.errnos.end()) return true;
  // EAGAIN and EWOULDBLOCK are one number on Linux; strerrorname_np names it EAGAIN.
  return false;
}

std::optional<int> errno_from_name(std::string_view name) {
  if (name == "EWOULDBLOCK") return EWOULDBLOCK;
  for (int e = 1; e < kErrnoEnd; ++e) {
    const char* n = strerrorname_np(e);
    if (n && name == n) return e;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& errno_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    for (int e = 1; e < kErrnoEnd; ++e) {
      if (const char* name = strerrorname_np(e)) n.emplace_back(name);
    }
    n.emplace_back("EWOULDBLOCK");
    return n;
  }();
  return names;
}

std::string errno_name(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : "";
}

}  // namespace faultline
