// The syscall side of the call table; see syscall_map.h.
#include "seccomp/syscall_map.h"

#include <seccomp.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "faults/call_table.h"

namespace faultline::seccomp {
namespace {

// Syscalls that libc issues for a call of another name. The exact row (if any) comes first.
struct Alias {
  std::string_view syscall;
  std::string_view call;  // a symbol of calls.def
};
constexpr Alias kAliases[] = {
    {"pread64", "read"},
    {"preadv", "readv"},
    {"preadv2", "readv"},
    {"pwrite64", "write"},
    {"pwritev", "writev"},
    {"pwritev2", "writev"},
    {"openat", "open"},
    {"sendto", "send"},
    {"recvfrom", "recv"},
    {"mq_timedsend", "mq_send"},
    {"mq_timedreceive", "mq_receive"},
    {"pselect6", "pselect"},
    {"pselect6", "select"},
    {"epoll_pwait", "epoll_wait"},
    {"epoll_pwait2", "epoll_pwait"},
    {"epoll_pwait2", "epoll_wait"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '(')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == ')')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  s = trim(s);
  while (!s.empty()) {
    auto comma = s.find(',');
    out.push_back(trim(s.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// "const struct iovec* iov" -> "iov", "int fds[2]" -> "fds".
std::string_view param_name(std::string_view p) {
  if (auto b = p.find('['); b != std::string_view::npos) p = p.substr(0, b);
  p = trim(p);
  auto start = p.find_last_of(" *");
  return start == std::string_view::npos ? p : p.substr(start + 1);
}

int index_of(const std::vector<std::string_view>& names, std::string_view n) {
  auto it = std::find(names.begin(), names.end(), trim(n));
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

SyscallObject object_of(const CallInfo& call) {
  std::vector<std::string_view> names;
  for (auto p : split_commas(call.params)) names.push_back(param_name(p));
  std::string_view obj = call.object;
  auto open = obj.find('(');
  std::string_view kind = obj.substr(0, open);
  auto args = split_commas(open == std::string_view::npos ? "" : obj.substr(open));
  SyscallObject o;
  if (kind == "FD") {
    o = {ObjectKind::fd, index_of(names, args.at(0))};
  } else if (kind == "ID") {
    o = {ObjectKind::id, index_of(names, args.at(0))};
  } else if (kind == "KEY") {
    o = {ObjectKind::key, index_of(names, args.at(0))};
  } else if (kind == "PATH") {
    o = {ObjectKind::path, index_of(names, args.at(0))};
  } else if (kind == "AT") {
    o = {ObjectKind::path, index_of(names, args.at(1)), index_of(names, args.at(0))};
  } else if (kind == "NAME") {
    o = {ObjectKind::name, index_of(names, args.at(0))};
  } else if (kind == "MAP") {
    o = {ObjectKind::map, index_of(names, args.at(1)), -1, index_of(names, args.at(0))};
  }
  return o;
}

const CallInfo* row(std::string_view symbol) {
  for (const auto& c : call_table()) {
    if (c.symbol == symbol) return &c;
  }
  return nullptr;
}

bool armed_bit(const uint64_t (&armed)[FL_MAX_CALLS / 64], int call) {
  return (armed[call >> 6] >> (call & 63)) & 1;
}

}  // namespace

SyscallMap::SyscallMap() {
  std::map<int, SyscallEntry> by_nr;
  for (const auto& c : call_table()) {
    int nr = seccomp_syscall_resolve_name(std::string(c.symbol).c_str());
    if (nr < 0) continue;  // a libc function, or a syscall this architecture lacks
    SyscallEntry& e = by_nr[nr];
    e.nr = nr;
    e.calls.insert(e.calls.begin(), c.id);
    e.object = object_of(c);
  }
  for (const auto& a : kAliases) {
    int nr = seccomp_syscall_resolve_name(std::string(a.syscall).c_str());
    const CallInfo* c = row(a.call);
    if (nr < 0 || c == nullptr) continue;
    SyscallEntry& e = by_nr[nr];
    if (e.nr < 0) {
      e.nr = nr;
      e.object = object_of(*c);
    }
    e.calls.push_back(c->id);
  }
  for (auto& [nr, e] : by_nr) entries_.push_back(std::move(e));
}

const SyscallMap& SyscallMap::get() {
  static const SyscallMap map;
  return map;
}

std::vector<int> SyscallMap::syscalls_for(const uint64_t (&armed)[FL_MAX_CALLS / 64]) const {
  std::vector<int> out;
  for (const auto& e : entries_) {
    if (call_for(e, armed) >= 0) out.push_back(e.nr);
  }
  return out;
}

const SyscallEntry* SyscallMap::find(int nr) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), nr,
                             [](const SyscallEntry& e, int n) { return e.nr < n; });
  return it != entries_.end() && it->nr == nr ? &*it : nullptr;
}

int SyscallMap::call_for(const SyscallEntry& entry, const uint64_t (&armed)[FL_MAX_CALLS / 64]) {
  for (int call : entry.calls) {
    if (armed_bit(armed, call)) return call;
  }
  return -1;
}

std::vector<int> SyscallMap::syscalls_of(int call) const {
  std::vector<int> out;
  for (const auto& e : entries_) {
    if (std::find(e.calls.begin(), e.calls.end(), call) != e.calls.end()) out.push_back(e.nr);
  }
  return out;
}

}  // namespace faultline::seccomp
