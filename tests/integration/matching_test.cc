// channel= end to end: a fault on one channel hits that channel's objects and no other, for
// FIFOs (by inode), sockets (by path and port, on accepted and connected ends) and System V
// queues (by id), with real programs from Debian packages.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_json.h"
#include "support.h"

using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::run_json;
using faultline::test::TempScenario;
using nlohmann::json;

TEST_CASE("channel= on a FIFO hits reads of that FIFO only", "[integration][matching]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: channel-fifo
timeout: 20s
channels: { a: { type: fifo }, b: { type: fifo } }
processes:
  writer:
    run: sh -c 'seq 1 5 > ${a.path}; seq 6 9 > ${b.path}'
    expect: { exit: any }
  reader:
    run: sh -c 'cat ${a.path}; cat ${b.path}'
    expect: { stdout: { equals: "1\n2\n3\n4\n5\n" } }
faults:
  - { process: reader, call: read, eof: true, channel: b }
)y");
  faultline::test::CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  // cat read FIFO a at least twice (data, then its end); none of those counted.
  CHECK(sc["faults"][0]["hits"] == 1);
  CHECK(sc["faults"][0]["fired"] == 1);
  REQUIRE(sc["events"].size() == 1);
  CHECK(sc["events"][0]["call"] == "read");
}

TEST_CASE("channel= tells a Unix socket from a TCP socket on the connected end",
          "[integration][matching]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: channel-sockets
timeout: 30s
channels: { t: { type: tcp }, u: { type: unix-stream } }
processes:
  tsrv:
    run: [socat, "TCP-LISTEN:${t.port},bind=127.0.0.1,reuseaddr,fork", "EXEC:cat"]
    lifetime: service
    ready: { listening: t }
    expect: { exit: any }
  usrv:
    run: [socat, "UNIX-LISTEN:${u.path},fork", "EXEC:cat"]
    lifetime: service
    ready: { listening: u }
    expect: { exit: any }
  client:
    after: [tsrv, usrv]
    run:
      - python3
      - -c
      - |
        import socket, sys
        def ask(fam, addr, name):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.connect(addr)
            s.sendall(b"ping")
            try:
                print(name, s.recv(16).decode())
            except ConnectionResetError:
                print(name, "reset")
            s.close()
        ask(socket.AF_INET, ("127.0.0.1", int(sys.argv[1])), "tcp")
        ask(socket.AF_UNIX, sys.argv[2], "unix")
      - ${t.port}
      - ${u.path}
    expect: { stdout: { equals: "tcp ping\nunix reset\n" } }
faults:
  - { process: client, call: recv, error: ECONNRESET, channel: u }
)y");
  faultline::test::CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  CHECK(sc["faults"][0]["hits"] == 1);
  CHECK(sc["faults"][0]["fired"] == 1);
}

TEST_CASE("channel= on a System V queue matches its id and not another queue's",
          "[integration][matching]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: channel-sysv
timeout: 20s
channels: { q1: { type: msgqueue }, q2: { type: msgqueue } }
processes:
  sender:
    run:
      - perl
      - -e
      - |
        use IPC::SysV qw(IPC_NOWAIT);
        for my $id (@ARGV) {
          my $ok = msgsnd($id, pack("l! a*", 1, "hello"), IPC_NOWAIT);
          print $ok ? "sent\n" : "failed: $!\n";
        }
      - ${q1.id}
      - ${q2.id}
    expect: { stdout: { equals: "sent\nfailed: Resource temporarily unavailable\n" } }
faults:
  - { call: msgsnd, error: EAGAIN, channel: q2 }
)y");
  faultline::test::CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  CHECK(sc["faults"][0]["hits"] == 1);
  CHECK(sc["faults"][0]["fired"] == 1);
}

TEST_CASE("channel= naming no channel of the scenario is refused before anything starts",
          "[integration][matching]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: channel-unknown
channels: { a: { type: fifo } }
processes:
  p: { run: [true] }
faults:
  - { call: read, eof: true, channel: nope }
)y");
  auto r = run_faultline({"run", s.path().string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown channel 'nope'") != std::string::npos);
}

TEST_CASE("site= found in no program of the scenario is wrong input, refused before the run",
          "[integration][matching]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: site-unknown
processes:
  p: { run: [true] }
)y");
  auto r = run_faultline({"run", s.path().string(), "--fault", "read:eof:site=no_such_function"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no function no_such_function in") != std::string::npos);
  auto c = run_faultline({"run", s.path().string(), "--fault", "read:eof:channel=nope"});
  CHECK(c.exit_code == 2);
  CHECK(c.err.find("unknown channel 'nope'") != std::string::npos);
}

TEST_CASE("faultline calls lists every row of the call table and shows one call in full",
          "[integration][cli]") {
  auto all = run_faultline({"calls"});
  CHECK(all.exit_code == 0);
  for (const char* symbol : {"accept4", "__read_chk", "__open64_2", "mmap64", "recvmmsg",
                             "epoll_pwait", "semtimedop", "mq_timedreceive"})
    CHECK(all.out.find(std::string("\n") + symbol + " ") != std::string::npos);
  auto one = run_faultline({"calls", "shmat"});
  CHECK(one.exit_code == 0);
  CHECK(one.out.find("void* shmat(int id, const void* addr, int flags)") != std::string::npos);
  CHECK(one.out.find("returns (void*)-1") != std::string::npos);
  CHECK(one.out.find("EIDRM") != std::string::npos);
  // What explore injects there by default, and how correct code must take it.
  CHECK(one.out.find("explore  transient: none; hard: EACCES EIDRM EINVAL ENOMEM") !=
        std::string::npos);
  auto accept = run_faultline({"calls", "accept4"});
  CHECK(accept.out.find("explore  transient: EAGAIN ECONNABORTED EINTR EMFILE ENFILE ENOBUFS "
                        "ENOMEM EPROTO; hard: none") != std::string::npos);
  auto recv = run_faultline({"calls", "recv"});
  CHECK(recv.out.find("kinds: transient short; hard eof reset crash") != std::string::npos);
  auto unknown = run_faultline({"calls", "acept"});
  CHECK(unknown.exit_code == 2);
}
