// The transparency corpus; see corpus.h. Each script synchronises on real events (EOF, join,
// waitpid, socat's own "listening on" notice), never on sleeps.
#include "corpus.h"

#include <stdexcept>

namespace faultline::test {
namespace {

std::vector<std::string> sh(const char* script) { return {"/bin/sh", "-c", script}; }
// -I: the scratch folder must not shadow standard modules (a file named queue.py would).
std::vector<std::string> python(const char* script) {
  return {"/usr/bin/python3", "-I", "-c", script};
}
std::vector<std::string> perl(const char* script) { return {"/usr/bin/perl", "-e", script}; }

const char* const kSortUniq = R"(
seq 1 30000 | tr 0-9 a-j | sort | uniq -c -w 3 | sort -k1,1nr -k2,2
seq 1 30000 | tr 0-9 a-j | sort -r | md5sum
seq -w 1 3000 | sort -r | paste - - - | cut -f 1,3
)";

const char* const kSplitTee = R"(
set -e
seq 1 50000 | tee all.txt | split -l 7000 -d - part.
ls part.*
cat part.* | md5sum
md5sum all.txt part.*
wc -l part.*
tac part.03 | head -n 2000
)";

// `yes` and the first `seq` die of SIGPIPE when head has had enough.
const char* const kSigpipe = R"(
yes 'faultline transparency' | head -n 5000 | nl -ba | tail -n 3000
seq 1 1000000 | head -n 3
seq 1 20000 | fold -w 7 | sha256sum
printf '%s\n' one two three | tee /dev/stderr | wc -c
)";

const char* const kSocketpair = R"(
import hashlib, socket, sys, threading
a, b = socket.socketpair()
def echo():
    while data := b.recv(4096):
        b.sendall(data.upper())
    b.close()
payload = b''.join(b'line %05d of the socketpair echo\n' % i for i in range(5000))
def send():
    a.sendall(payload)
    a.shutdown(socket.SHUT_WR)
threads = [threading.Thread(target=echo), threading.Thread(target=send)]
for t in threads:
    t.start()
got = bytearray()
while data := a.recv(65536):
    got += data
for t in threads:
    t.join()
a.close()
sys.stdout.buffer.write(got)
print(len(got), hashlib.sha256(got).hexdigest())
)";

const char* const kTcp = R"(
import hashlib, socket, sys, threading
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(('127.0.0.1', 0))
server.listen(1)
def serve():
    conn, _ = server.accept()
    with conn:
        received = bytearray()
        while data := conn.recv(8192):
            received += data
        lines = received.decode().splitlines()
        conn.sendall(''.join(f'{len(l):3d} {l[::-1]}\n' for l in lines).encode())
thread = threading.Thread(target=serve)
thread.start()
client = socket.create_connection(server.getsockname())
client.sendall(''.join(f'request {i} to the tcp server\n' for i in range(4000)).encode())
client.shutdown(socket.SHUT_WR)
got = bytearray()
while data := client.recv(65536):
    got += data
thread.join()
client.close()
server.close()
sys.stdout.buffer.write(got)
print(len(got), hashlib.sha256(got).hexdigest())
)";

const char* const kPool = R"(
import hashlib, multiprocessing
def work(n):
    return n, hashlib.md5(b'%d' % n).hexdigest(), sum(i * i for i in range(n % 97))
if __name__ == '__main__':
    with multiprocessing.get_context('fork').Pool(3) as pool:
        for n, digest, squares in pool.map(work, range(4000), chunksize=64):
            print(n, digest, squares)
)";

const char* const kQueuePipe = R"(
import multiprocessing
def produce(queue, count):
    for i in range(count):
        queue.put((i, 'item %d' % i, [i] * (i % 5)))
    queue.put(None)
def square(conn):
    while (x := conn.recv()) is not None:
        conn.send(x * x)
    conn.close()
if __name__ == '__main__':
    ctx = multiprocessing.get_context('fork')
    queue = ctx.Queue()
    producer = ctx.Process(target=produce, args=(queue, 3000))
    producer.start()
    while (item := queue.get()) is not None:
        print(*item)
    producer.join()
    parent, child = ctx.Pipe()
    squarer = ctx.Process(target=square, args=(child,))
    squarer.start()
    for i in range(2000):
        parent.send(i)
        print(i, parent.recv())
    parent.send(None)
    squarer.join()
    print('exit codes', producer.exitcode, squarer.exitcode)
)";

const char* const kMsg = R"(
use strict;
use warnings;
use IPC::SysV qw(IPC_PRIVATE S_IRUSR S_IWUSR IPC_NOWAIT);
use IPC::Msg;
$| = 1;
my $queue = IPC::Msg->new(IPC_PRIVATE, S_IRUSR | S_IWUSR) or die "msgget: $!\n";
print STDERR "sysv msg ", $queue->id, "\n";
my $pid = fork() // die "fork: $!\n";
if ($pid == 0) {
  for my $i (1 .. 3000) {
    $queue->snd(1 + $i % 4, sprintf("message %04d from the child", $i)) or die "msgsnd: $!\n";
  }
  $queue->snd(9, "done") or die "msgsnd: $!\n";
  exit 0;
}
my $count = 0;
while (1) {
  my $type = $queue->rcv(my $text, 256, 0, 0) // die "msgrcv: $!\n";
  last if $type == 9;
  print "type $type: $text\n";
  ++$count;
}
waitpid($pid, 0);
print "child exit ", $? >> 8, "\n";
for my $type (reverse 1 .. 4) {
  $queue->snd($type, "by type $type, round $_") or die "msgsnd: $!\n" for 1 .. 100;
}
for my $type (1 .. 4) {
  while (defined(my $got = $queue->rcv(my $text, 256, $type, IPC_NOWAIT))) { print "$got: $text\n"; }
}
print "received $count, left ", $queue->stat->qnum, "\n";
$queue->remove or die "msgctl IPC_RMID: $!\n";
)";

const char* const kSharedMem = R"(
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use IPC::SysV qw(IPC_PRIVATE S_IRUSR S_IWUSR);
use IPC::SharedMem;
$| = 1;
my ($rows, $width) = (2048, 32);
my $shm = IPC::SharedMem->new(IPC_PRIVATE, $rows * $width, S_IRUSR | S_IWUSR) or die "shmget: $!\n";
print STDERR "sysv shm ", $shm->id, "\n";
my $pid = fork() // die "fork: $!\n";
if ($pid == 0) {
  for my $row (0 .. $rows - 1) {
    $shm->write(sprintf("%-31s\n", "row $row written by the child"), $row * $width, $width)
      or die "shmwrite: $!\n";
  }
  exit 0;
}
waitpid($pid, 0);
print "child exit ", $? >> 8, "\n";
my $all = $shm->read(0, $rows * $width) // die "shmread: $!\n";
print $all;
$shm->attach or die "shmat: $!\n";
print "attached read: ", $shm->read(5 * $width, $width);
$shm->detach or die "shmdt: $!\n";
print "md5 ", md5_hex($all), " nattch ", $shm->stat->nattch, "\n";
$shm->remove or die "shmctl IPC_RMID: $!\n";
)";

// The client starts once the server's "listening on" notice comes through a FIFO: a blocking
// read on socat's own readiness. The server stays the FIFO's writer until it exits, and the
// shell keeps it open for reading, so later notices never meet a closed FIFO.
const char* const kSocatUnix = R"(
set -e
mkfifo "$D/server.log"
socat -d -d UNIX-LISTEN:"$D/echo.sock" SYSTEM:'tr a-z A-Z' 2>"$D/server.log" &
server=$!
exec 3<"$D/server.log"
sed -n '/listening on/{p;q}' <&3 >/dev/null
seq -f 'payload line %g over a unix socket' 1 20000 | socat -t 30 - UNIX-CONNECT:"$D/echo.sock"
wait "$server"
echo "server exit $?"
test ! -e "$D/echo.sock" && echo "socket file removed by the server"
)";

const char* const kSocatTcp = R"(
set -e
mkfifo "$D/server.log"
socat -d -d TCP-LISTEN:0,bind=127.0.0.1 SYSTEM:'tr a-z A-Z' 2>"$D/server.log" &
server=$!
exec 3<"$D/server.log"
port=$(sed -n '/listening on/{s/.*://p;q}' <&3)
seq -f 'payload line %g over tcp' 1 20000 | socat -t 30 - TCP:127.0.0.1:"$port"
wait "$server"
echo "server exit $?"
)";

std::vector<CorpusEntry> make_corpus() {
  const std::vector<std::string> no_sockets_or_sysv{
      "accept:error=ECONNABORTED", "connect:error=ECONNREFUSED", "recv:error=ECONNRESET",
      "msgsnd:error=EAGAIN", "shmat:error=ENOMEM"};
  const std::vector<std::string> no_sysv{"msgsnd:error=EAGAIN", "msgrcv:error=ENOMSG",
                                         "shmat:error=ENOMEM", "semop:error=EIDRM"};
  return {
      // Its programs write through stdio, whose write is libc-internal: only reads are seen.
      {"coreutils sort, uniq, tr, paste and md5sum pipelines",
       sh(kSortUniq),
       {"read"},
       no_sockets_or_sysv},
      {"coreutils tee, split, cat, wc and tac over pipes and files",
       sh(kSplitTee),
       {"read", "write"},
       no_sockets_or_sysv},
      {"coreutils pipelines cut short by head (SIGPIPE)",
       sh(kSigpipe),
       {"read", "write"},
       no_sockets_or_sysv},
      {"python3 socketpair echo between threads",
       python(kSocketpair),
       {"recv", "send"},
       {"accept:error=ECONNABORTED", "connect:error=ECONNREFUSED", "msgsnd:error=EAGAIN",
        "shmat:error=ENOMEM", "semop:error=EIDRM"}},
      {"python3 TCP server thread and client on 127.0.0.1",
       python(kTcp),
       {"accept", "connect", "recv", "send"},
       no_sysv},
      {"python3 multiprocessing Pool.map", python(kPool), {"read", "write"}, no_sockets_or_sysv},
      {"python3 multiprocessing Queue and Pipe",
       python(kQueuePipe),
       {"read", "write"},
       no_sockets_or_sysv},
      {"perl IPC::Msg between a parent and a forked child",
       perl(kMsg),
       {"msgsnd", "msgrcv"},
       {"accept:error=ECONNABORTED", "connect:error=ECONNREFUSED", "send:error=EPIPE",
        "shmat:error=ENOMEM"}},
      {"perl IPC::SharedMem written by a forked child",
       perl(kSharedMem),
       {"shmget", "shmat"},
       {"accept:error=ECONNABORTED", "connect:error=ECONNREFUSED", "msgsnd:error=EAGAIN",
        "msgrcv:error=ENOMSG"}},
      {"socat echo over a Unix socket",
       sh(kSocatUnix),
       {"accept", "connect", "read", "write"},
       no_sysv},
      {"socat echo over TCP on 127.0.0.1",
       sh(kSocatTcp),
       {"accept", "connect", "read", "write"},
       no_sysv},
  };
}

}  // namespace

const std::vector<CorpusEntry>& corpus() {
  static const std::vector<CorpusEntry> entries = make_corpus();
  return entries;
}

const CorpusEntry& corpus_entry(const std::string& name) {
  for (const auto& e : corpus()) {
    if (e.name == name) return e;
  }
  throw std::invalid_argument("no corpus entry named '" + name + "' (see corpus.cc)");
}

}  // namespace faultline::test
