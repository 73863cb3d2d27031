// Timeout diagnostics: /proc/PID/syscall and state made readable.
#include "processes/snapshot.h"

#include <catch2/catch.hpp>

namespace faultline {
namespace {

TEST_CASE("A syscall number becomes its name with the first arguments in hex", "[processes]") {
  CHECK(describe_syscall("230 0x0 0x0 0x7ffe61539da0 0x7ffe61539de0 0x0 0x0 0x7ffe6 0x7f50\n") ==
        "clock_nanosleep(0x0, 0x0, 0x7ffe61539da0)");
  CHECK(describe_syscall("0 0x3 0x7ffd1000 0x1000 0x0 0x0 0x0 0x7ffe 0x7f50") ==
        "read(0x3, 0x7ffd1000, 0x1000)");
}

TEST_CASE("A process outside a syscall is described as such", "[processes]") {
  CHECK(describe_syscall("running") == "running");
  CHECK(describe_syscall("-1 0x7ffe 0x7f50") == "not in a system call");
  CHECK(describe_syscall("") == "");
}

TEST_CASE("A process state letter is spelled out", "[processes]") {
  CHECK(describe_state('S') == "S (sleeping)");
  CHECK(describe_state('D') == "D (disk sleep)");
  CHECK(describe_state('Z') == "Z (zombie)");
}

}  // namespace
}  // namespace faultline

TEST_CASE("A backtrace keeps gdb's frames and errors, not its lines about itself", "[processes]") {
  const std::string gdb =
      "[Thread debugging using libthread_db enabled]\n"
      "Using host libthread_db library \"/lib/x86_64-linux-gnu/libthread_db.so.1\".\n"
      "0x00007f in __GI___libc_read (fd=0) at ../sysdeps/unix/sysv/linux/read.c:26\n"
      "26\t../sysdeps/unix/sysv/linux/read.c: No such file or directory.\n"
      "#0  0x00007f in __GI___libc_read (fd=0) at ../sysdeps/unix/sysv/linux/read.c:26\n"
      "ptrace: Operation not permitted.\n"
      "[Inferior 1 (process 4242) detached]\n";
  CHECK(faultline::without_gdb_chatter(gdb) ==
        "0x00007f in __GI___libc_read (fd=0) at ../sysdeps/unix/sysv/linux/read.c:26\n"
        "#0  0x00007f in __GI___libc_read (fd=0) at ../sysdeps/unix/sysv/linux/read.c:26\n"
        "ptrace: Operation not permitted.\n");
}
