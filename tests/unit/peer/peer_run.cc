// Helpers of the peer tests; see peer_run.h.
#include "peer_run.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "channels/socket_table.h"
#include "processes/spawn_program.h"
#include "support.h"
#include "util/unique_fd.h"

extern char** environ;

namespace faultline::test {
namespace fs = std::filesystem;
namespace {

std::string unique_posix_name() {
  static std::atomic<int> counter{0};
  return "/fltest-peer-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

class PipeChannel final : public PeerChannel {
 public:
  explicit PipeChannel(bool two_way) : two_way_(two_way) {
    int a[2], b[2];
    check(::pipe2(a, O_CLOEXEC) == 0, "pipe2");
    to_server_read_.reset(a[0]);
    to_server_write_.reset(a[1]);
    if (two_way) {
      check(::pipe2(b, O_CLOEXEC) == 0, "pipe2");
      to_client_read_.reset(b[0]);
      to_client_write_.reset(b[1]);
      args_ = {"--type", "pipe", "--in-fd", "3", "--out-fd", "4"};
    } else {
      args_ = {"--type", "pipe", "--fd", "3"};
    }
  }
  std::vector<std::pair<int, int>> server_fds() const override {
    if (!two_way_) return {{3, to_server_read_.get()}};
    return {{3, to_server_read_.get()}, {4, to_client_write_.get()}};
  }
  std::vector<std::pair<int, int>> client_fds() const override {
    if (!two_way_) return {{3, to_server_write_.get()}};
    return {{3, to_client_read_.get()}, {4, to_server_write_.get()}};
  }
  void release_server_fds() override {
    to_server_read_.reset();
    to_client_write_.reset();
  }
  void release_client_fds() override {
    to_server_write_.reset();
    to_client_read_.reset();
  }

 private:
  bool two_way_;
  UniqueFd to_server_read_, to_server_write_, to_client_read_, to_client_write_;
};

class ArgsChannel final : public PeerChannel {
 public:
  explicit ArgsChannel(std::vector<std::string> args, int udp_port = 0) : udp_port_(udp_port) {
    args_ = std::move(args);
  }
  void wait_for_server() const override {
    if (!udp_port_) return;
    // The runner's own readiness check (`ready: { listening: ch }`): a datagram sent
    // before the server binds would be lost for real.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!udp_port_bound(static_cast<std::uint16_t>(udp_port_)) &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

 private:
  int udp_port_;
};

class SysvChannel final : public PeerChannel {
 public:
  SysvChannel(std::vector<std::string> args, int shm, int msg, int sem)
      : shm_(shm), msg_(msg), sem_(sem) {
    args_ = std::move(args);
  }
  ~SysvChannel() override {
    if (shm_ >= 0) ::shmctl(shm_, IPC_RMID, nullptr);
    if (msg_ >= 0) ::msgctl(msg_, IPC_RMID, nullptr);
    if (sem_ >= 0) ::semctl(sem_, 0, IPC_RMID);
  }

 private:
  int shm_, msg_, sem_;
};

class PosixNameChannel final : public PeerChannel {
 public:
  PosixNameChannel(std::vector<std::string> args, std::vector<std::string> mqs, std::string shm,
                   int sem)
      : mqs_(std::move(mqs)), shm_(std::move(shm)), sem_(sem) {
    args_ = std::move(args);
  }
  ~PosixNameChannel() override {
    for (const auto& mq : mqs_) ::mq_unlink(mq.c_str());
    if (!shm_.empty()) ::shm_unlink(shm_.c_str());
    if (sem_ >= 0) ::semctl(sem_, 0, IPC_RMID);
  }

 private:
  std::vector<std::string> mqs_;
  std::string shm_;
  int sem_;
};

int free_port(int type) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  check(fd && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0,
        "bind(127.0.0.1:0)");
  return ntohs(addr.sin_port);
}

constexpr int kSegmentSize = 16384;

int new_sem_set() {
  int sem = ::semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
  check(sem >= 0, "semget");
  return sem;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Spawned final {
 public:
  Spawned(const PeerScratch& dir, const std::string& name, const std::vector<std::string>& args,
          const std::vector<std::pair<int, int>>& fds, const std::vector<std::string>& env)
      : out_(dir.path() / (name + ".out")), err_(dir.path() / (name + ".err")) {
    UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    UniqueFd out(::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    UniqueFd err(::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    check(devnull && out && err, "open " + name + "'s output files");
    ProgramSpec spec;
    spec.argv = args;
    spec.env.emplace();
    for (char** e = environ; *e; ++e) spec.env->emplace_back(*e);
    spec.env->insert(spec.env->end(), env.begin(), env.end());
    spec.fds = {{0, devnull.get()}, {1, out.get()}, {2, err.get()}};
    spec.fds.insert(spec.fds.end(), fds.begin(), fds.end());
    StartOutcome started = spawn_program(spec);
    if (!started.child) throw std::runtime_error(started.message);
    pid_ = started.child->pid;
  }
  ~Spawned() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
  }
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;

  PeerResult wait() {
    const int status = wait_for_exit(pid_);
    pid_ = -1;
    PeerResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out_);
    r.err = read_file(err_);
    std::string last;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) last = line;
    }
    r.summary = nlohmann::json::parse(last, nullptr, false);
    if (r.summary.is_discarded()) r.summary = nullptr;
    return r;
  }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
};

std::string peer_exe() { return (build_dir() / "bin" / "faultline-peer").string(); }

}  // namespace

std::unique_ptr<PeerChannel> make_peer_channel(const std::string& type, const PeerScratch& dir,
                                               bool two_way) {
  const std::string base = type.substr(0, type.find('+'));
  const bool with_sem = type.ends_with("+sem");
  if (type == "pipe") return std::make_unique<PipeChannel>(two_way);
  if (type == "fifo") {
    fs::path p = dir.path() / "ch.fifo";
    check(::mkfifo(p.c_str(), 0600) == 0, "mkfifo");
    std::vector<std::string> args{"--type", "fifo", "--path", p};
    if (two_way) {
      fs::path reply = dir.path() / "reply.fifo";
      check(::mkfifo(reply.c_str(), 0600) == 0, "mkfifo");
      args.insert(args.end(), {"--reply-path", reply});
    }
    return std::make_unique<ArgsChannel>(args);
  }
  if (type == "unix-stream" || type == "unix-dgram") {
    return std::make_unique<ArgsChannel>(
        std::vector<std::string>{"--type", type, "--path", dir.path() / "ch.sock"});
  }
  if (type == "tcp" || type == "udp") {
    int port = free_port(type == "tcp" ? SOCK_STREAM : SOCK_DGRAM);
    return std::make_unique<ArgsChannel>(
        std::vector<std::string>{"--type", type, "--port", std::to_string(port)},
        type == "udp" ? port : 0);
  }
  if (type == "msgqueue") {
    int id = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    check(id >= 0, "msgget");
    return std::make_unique<SysvChannel>(
        std::vector<std::string>{"--type", "msgqueue", "--id", std::to_string(id)}, -1, id, -1);
  }
  if (base == "shm") {
    int id = ::shmget(IPC_PRIVATE, kSegmentSize, IPC_CREAT | 0600);
    check(id >= 0, "shmget");
    std::vector<std::string> args{"--type", "shm", "--id", std::to_string(id)};
    int sem = with_sem ? new_sem_set() : -1;
    if (with_sem) args.insert(args.end(), {"--sem-id", std::to_string(sem)});
    return std::make_unique<SysvChannel>(args, id, -1, sem);
  }
  if (type == "posix-mq") {
    std::vector<std::string> args{"--type", "posix-mq"}, names;
    for (const char* flag : {"--name", "--reply-name"}) {
      if (names.size() == 1 && !two_way) break;
      std::string name = unique_posix_name();
      mq_attr attr{};
      attr.mq_maxmsg = 10;
      attr.mq_msgsize = 1024;
      mqd_t q = ::mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
      check(q != static_cast<mqd_t>(-1), "mq_open");
      ::mq_close(q);
      names.push_back(name);
      args.insert(args.end(), {flag, name});
    }
    return std::make_unique<PosixNameChannel>(args, names, "", -1);
  }
  if (base == "mmap") {
    // The futex variant maps a POSIX shm object, the semaphore variant a file.
    std::vector<std::string> args{"--type", "mmap"};
    std::string shm_name;
    UniqueFd fd;
    if (with_sem) {
      fs::path p = dir.path() / "ch.mmap";
      fd.reset(::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      args.insert(args.end(), {"--path", p});
    } else {
      shm_name = unique_posix_name();
      fd.reset(::shm_open(shm_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      args.insert(args.end(), {"--name", shm_name});
    }
    check(fd && ::ftruncate(fd.get(), kSegmentSize) == 0, "mmap object");
    int sem = with_sem ? new_sem_set() : -1;
    if (with_sem) args.insert(args.end(), {"--sem-id", std::to_string(sem)});
    return std::make_unique<PosixNameChannel>(args, std::vector<std::string>{}, shm_name, sem);
  }
  throw std::invalid_argument("no such channel type in the peer tests: " + type);
}

PeerFaults::PeerFaults(const PeerScratch& dir, const std::vector<std::string>& specs,
                       std::uint64_t seed)
    : control_([&] {
        std::vector<FaultSpec> faults;
        for (const auto& text : specs) {
          Diagnostics diags;
          auto spec = parse_fault_spec(text, diags);
          if (!spec) throw std::invalid_argument("bad fault spec in a peer test: " + text);
          faults.push_back(*spec);
        }
        return ControlBlock::create(dir.path() / "control", faults, seed);
      }()) {}

std::vector<std::string> PeerFaults::env(const std::string& process) const {
  return {"LD_PRELOAD=" + interposer_path().string(),
          "FAULTLINE_CONTROL=" + control_.path().string(), "FAULTLINE_PROCESS=" + process};
}

PeerPair run_peer_pair(PeerChannel& channel, const std::string& server_mode,
                       const std::string& client_mode, const std::vector<std::string>& exchange,
                       const PeerFaults* faults) {
  PeerScratch logs;
  auto argv = [&](const std::string& mode, const std::vector<std::string>& channel_args) {
    std::vector<std::string> a{peer_exe(), "--mode", mode};
    a.insert(a.end(), channel_args.begin(), channel_args.end());
    a.insert(a.end(), exchange.begin(), exchange.end());
    return a;
  };
  Spawned server(logs, "server", argv(server_mode, channel.server_args()), channel.server_fds(),
                 faults ? faults->env("server") : std::vector<std::string>{});
  channel.release_server_fds();
  channel.wait_for_server();
  Spawned client(logs, "client", argv(client_mode, channel.client_args()), channel.client_fds(),
                 faults ? faults->env("client") : std::vector<std::string>{});
  channel.release_client_fds();
  PeerPair pair;
  pair.client = client.wait();
  pair.server = server.wait();
  return pair;
}

PeerResult run_peer(const std::vector<std::string>& args) {
  PeerScratch logs;
  std::vector<std::string> a{peer_exe()};
  a.insert(a.end(), args.begin(), args.end());
  Spawned peer(logs, "peer", a, {}, {});
  return peer.wait();
}

}  // namespace faultline::test
