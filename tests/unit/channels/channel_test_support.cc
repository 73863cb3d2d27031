// Channel test helpers; see channel_test_support.h.
#include "channel_test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "processes/spawn_program.h"
#include "support.h"

namespace faultline::test {

ChannelSpec spec_of(std::string name, ChannelType type, std::uint64_t size, std::uint32_t count,
                    std::string backing) {
  ChannelSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.size = size;
  spec.count = count;
  spec.backing = std::move(backing);
  return spec;
}

LiveProcess::LiveProcess(const std::vector<std::string>& argv) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    throw std::runtime_error("pipe2");
  }
  ProgramSpec spec;
  spec.argv = argv;
  spec.search_path = true;
  spec.fds = {{0, in[0]}, {1, out[1]}};
  StartOutcome started = spawn_program(spec);
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  if (started.child) pid_ = started.child->pid;
  if (!started.child) {
    pid_ = -1;
    stop();
    throw std::runtime_error("cannot start " + argv.at(0));
  }
}

LiveProcess::~LiveProcess() { stop(); }

void LiveProcess::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    (void)wait_for_exit(pid_);
    pid_ = -1;
  }
  if (to_child_ >= 0) ::close(to_child_);
  if (from_child_ >= 0) ::close(from_child_);
  to_child_ = from_child_ = -1;
}

std::string LiveProcess::read_line(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto newline = buffered_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("no line from the helper process in time");
    pollfd p{from_child_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[256];
    ssize_t n = ::read(from_child_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("the helper process ended early: " + buffered_);
    buffered_.append(buf, static_cast<size_t>(n));
  }
}

void LiveProcess::write_line(const std::string& line) {
  std::string data = line + "\n";
  if (::write(to_child_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    throw std::runtime_error("cannot write to the helper process");
  }
}

std::vector<std::string> python(const std::string& script, const std::vector<std::string>& args) {
  // The system interpreter when there is one: version-manager shims (pyenv) cost a second
  // per start.
  std::string interpreter =
      ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  std::vector<std::string> argv{interpreter, "-c", script};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string ipcs_details(const std::string& kind, const std::string& id) {
  return run_command({"ipcs", "-" + kind, "-i", id}).out;
}

bool ipcs_knows(const std::string& kind, const std::string& id) {
  // ipcs exits 0 even for an unknown id; only its output tells.
  std::string word = kind == "q" ? "msqid=" : kind == "m" ? "shmid=" : "semid=";
  return ipcs_details(kind, id).find(word + id + "\n") != std::string::npos;
}

}  // namespace faultline::test
