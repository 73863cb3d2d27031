// The seccomp backend's map from system calls to rows of the call table (syscall_map.h):
// which syscalls a fault on a call must catch, and where each one's object sits among the
// syscall's arguments. Checked against what glibc issues and the kernel's argument order.
#include "seccomp/syscall_map.h"

#include <sys/syscall.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string_view>

#include "faults/call_table.h"

namespace faultline::seccomp {
namespace {

int call_id(std::string_view symbol) {
  for (const CallInfo& c : call_table()) {
    if (c.symbol == symbol) return c.id;
  }
  FAIL("no row " << symbol << " in calls.def");
  return -1;
}

struct Armed {
  uint64_t bits[FL_MAX_CALLS / 64] = {};
  Armed& with(std::string_view symbol) {
    int id = call_id(symbol);
    bits[id / 64] |= uint64_t{1} << (id % 64);
    return *this;
  }
};

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST_CASE("A fault on read catches the syscalls glibc issues for it, and no other") {
  const auto syscalls = SyscallMap::get().syscalls_for(Armed().with("read").bits);
  CHECK(contains(syscalls, SYS_read));
  CHECK(contains(syscalls, SYS_pread64));
  CHECK_FALSE(contains(syscalls, SYS_write));
  CHECK_FALSE(contains(syscalls, SYS_recvfrom));
}

TEST_CASE("open is caught as openat too, its path after the directory fd") {
  const SyscallMap& map = SyscallMap::get();
  const auto syscalls = map.syscalls_for(Armed().with("open").bits);
  REQUIRE(contains(syscalls, SYS_openat));
  const SyscallEntry* at = map.find(SYS_openat);
  REQUIRE(at != nullptr);
  CHECK(at->object.kind == ObjectKind::path);
  CHECK(at->object.arg == 1);
  CHECK(at->object.dir_arg == 0);
  const SyscallEntry* plain = map.find(SYS_open);
  REQUIRE(plain != nullptr);
  CHECK(plain->object.kind == ObjectKind::path);
  CHECK(plain->object.arg == 0);
  CHECK(plain->object.dir_arg == -1);
}

TEST_CASE("Each syscall's object is the argument the kernel takes it in") {
  const SyscallMap& map = SyscallMap::get();
  const SyscallEntry* accept4 = map.find(SYS_accept4);
  REQUIRE(accept4 != nullptr);
  CHECK(accept4->object.kind == ObjectKind::fd);
  CHECK(accept4->object.arg == 0);
  const SyscallEntry* msgsnd = map.find(SYS_msgsnd);
  REQUIRE(msgsnd != nullptr);
  CHECK(msgsnd->object.kind == ObjectKind::id);
  CHECK(msgsnd->object.arg == 0);
}

TEST_CASE("A syscall shared by two calls is matched as its own row first, else the other") {
  const SyscallMap& map = SyscallMap::get();
  const SyscallEntry* sendto = map.find(SYS_sendto);
  REQUIRE(sendto != nullptr);
  REQUIRE(sendto->calls.size() >= 2);
  CHECK(sendto->calls.front() == call_id("sendto"));
  CHECK(SyscallMap::call_for(*sendto, Armed().with("send").with("sendto").bits) ==
        call_id("sendto"));
  CHECK(SyscallMap::call_for(*sendto, Armed().with("send").bits) == call_id("send"));
}

TEST_CASE("Every entry of the map is found by its number and named by its calls") {
  const SyscallMap& map = SyscallMap::get();
  REQUIRE_FALSE(map.entries().empty());
  for (const SyscallEntry& e : map.entries()) {
    CAPTURE(e.nr);
    CHECK(map.find(e.nr) == &e);
    REQUIRE_FALSE(e.calls.empty());
    for (int call : e.calls) CHECK(contains(map.syscalls_of(call), e.nr));
  }
  CHECK(map.find(SYS_getpid) == nullptr);
}

}  // namespace
}  // namespace faultline::seccomp
