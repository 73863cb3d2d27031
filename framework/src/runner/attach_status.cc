// AttachStatus; see attach_status.h.
#include "runner/attach_status.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <random>
#include <system_error>

#include <fmt/format.h>

#include "faultline_control.h"
#include "faults/call_table.h"

namespace faultline {
namespace {

std::string field(const char* text, std::size_t cap) { return {text, strnlen(text, cap)}; }

}  // namespace

AttachStatus::AttachStatus()
    : socket_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)),
      stop_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!socket_ || !stop_)
    throw std::system_error(errno, std::system_category(), "cannot create the status socket");
  // Abstract names are open to every user of the machine: a random one cannot be taken
  // before us (a name another process holds is tried again), and the token, which only our
  // processes get, tells their datagrams from anyone else's (faultline_control.h).
  std::random_device random;
  const auto random_hex = [&random](std::size_t digits) {
    std::string out;
    while (out.size() < digits) out += fmt::format("{:08x}", random());
    out.resize(digits);
    return out;
  };
  token_ = random_hex(FL_STATUS_TOKEN_LEN);
  std::string name;
  for (int attempt = 0;; ++attempt) {
    name = "faultline-status-" + random_hex(16);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&addr), len) == 0) break;
    if (errno != EADDRINUSE || attempt == 10)
      throw std::system_error(errno, std::system_category(), "cannot bind the status socket");
  }
  address_ = "@" + name + "#" + token_;
  thread_ = std::thread([this] { run(); });
}

AttachStatus::~AttachStatus() { (void)finish(); }

void AttachStatus::drain() {
  fl_attach_failure rec;
  char token[FL_STATUS_TOKEN_LEN];
  for (;;) {
    iovec parts[2] = {{&rec, sizeof rec}, {token, sizeof token}};
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = 2;
    ssize_t n = ::recvmsg(socket_.get(), &msg, MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: nothing more queued
    // Anything but a record and our token was sent by someone else: dropped.
    if (static_cast<std::size_t>(n) != sizeof rec + sizeof token || rec.magic != FL_STATUS_MAGIC ||
        token_.compare(0, token_.size(), token, sizeof token) != 0)
      continue;
    AttachFailure f;
    f.pid = rec.pid;
    f.ppid = rec.ppid;
    f.uid = rec.uid;
    f.fd = rec.fd;
    f.fd_errno = rec.fd_errno;
    f.path_errno = rec.path_errno;
    f.reason = rec.reason;
    f.process = field(rec.process, sizeof rec.process);
    f.comm = field(rec.comm, sizeof rec.comm);
    f.exe = field(rec.exe, sizeof rec.exe);
    std::lock_guard lock(mutex_);
    failures_.push_back(std::move(f));
  }
}

// Drained while the run goes on: a Unix datagram socket queues only a few datagrams
// (net.unix.max_dgram_qlen, 10 by default) and the interposer never waits for room.
void AttachStatus::run() {
  for (;;) {
    pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) drain();
    if (fds[1].revents != 0) return;
  }
}

std::vector<AttachFailure> AttachStatus::finish() {
  if (thread_.joinable()) {
    std::uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
  drain();
  std::lock_guard lock(mutex_);
  return failures_;
}

std::string describe(const AttachFailure& f) {
  std::string who = fmt::format("pid {} ({}, uid {})", f.pid, f.comm.empty() ? "?" : f.comm, f.uid);
  switch (f.reason) {
    case FL_ATTACH_VERSION:
      return who + " could not attach: its interposer is of another faultline version";
    case FL_ATTACH_SIZE:
      return who + " could not attach: the control file has the wrong size";
    case FL_ATTACH_MAP:
      return fmt::format("{} could not attach: mmap of the control block failed with {}", who,
                         errno_name(f.path_errno));
    default:
      break;
  }
  std::string fd = f.fd < 0 ? "no control fd was given"
                   : f.fd_errno == EBADF
                       ? fmt::format("its control fd {} was closed before it started", f.fd)
                       : fmt::format("fd {} was not the control file", f.fd);
  return fmt::format("{} could not attach: {}, and it cannot open the control file ({})", who, fd,
                     errno_name(f.path_errno));
}

}  // namespace faultline
