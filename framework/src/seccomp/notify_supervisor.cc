// The notification loop; see notify_supervisor.h.
#include "seccomp/notify_supervisor.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "facts.h"
#include "faultline_control.h"
#include "rule_engine.h"
#include "seccomp/backend.h"
#include "seccomp/remote_subject.h"
#include "seccomp/syscall_map.h"

namespace faultline::seccomp {
namespace {

// Which other ABI a notified call was made in, or nullptr for this program's own. The filter
// notifies them all (its bad-arch action): their numbers and arguments are not this ABI's.
const char* foreign_abi(const seccomp_data& d) {
#if defined(__x86_64__)
  if (d.arch == AUDIT_ARCH_I386) return "a 32-bit system call (int 0x80)";
  if (d.arch == AUDIT_ARCH_X86_64 && (d.nr & 0x40000000) != 0) return "an x32 system call";
  if (d.arch != AUDIT_ARCH_X86_64) return "a system call of another architecture";
#elif defined(__aarch64__)
  if (d.arch != AUDIT_ARCH_AARCH64) return "a 32-bit system call";
#endif
  return nullptr;
}

using Clock = std::chrono::steady_clock;

// Not in Debian 12's headers (Linux 6.6's SECCOMP_IOCTL_NOTIF_SET_FLAGS and
// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP).
constexpr unsigned long kSetFlags = SECCOMP_IOW(4, __u64);
constexpr unsigned long kSyncWakeUp = 1UL << 0;

struct NotifyBuffers {
  seccomp_notif* req = nullptr;
  seccomp_notif_resp* resp = nullptr;
  NotifyBuffers() {
    if (seccomp_notify_alloc(&req, &resp) != 0)
      throw std::runtime_error("seccomp_notify_alloc failed");
  }
  ~NotifyBuffers() { seccomp_notify_free(req, resp); }
  NotifyBuffers(const NotifyBuffers&) = delete;
  NotifyBuffers& operator=(const NotifyBuffers&) = delete;
};

// A delayed call: answered "continue" once due.
struct Pending {
  Clock::time_point due;
  std::uint64_t id;
};

void respond(int listener, seccomp_notif_resp* resp, std::uint64_t id, int err) {
  resp->id = id;
  resp->val = 0;
  resp->error = err == 0 ? 0 : -err;
  resp->flags = err == 0 ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
  // ENOENT: the call was interrupted by a signal or its thread is gone; nothing to answer.
  (void)seccomp_notify_respond(listener, resp);
}

// Whether an injected `err` on this call comes with SIGPIPE, as the kernel sends it with
// EPIPE from a write or a send without MSG_NOSIGNAL (docs/faults.md).
bool comes_with_sigpipe(const seccomp_notif& req, int err) {
  if (err != EPIPE) return false;
  switch (req.data.nr) {
    case SYS_write:
    case SYS_writev:
      return true;
    case SYS_sendto:
    case SYS_sendmmsg:
      return !(req.data.args[3] & MSG_NOSIGNAL);
    case SYS_sendmsg:
      return !(req.data.args[2] & MSG_NOSIGNAL);
  }
  return false;
}

}  // namespace

NotifySupervisor::NotifySupervisor(fl_control* control, std::string process,
                                   std::shared_ptr<Handoff> handoff, bool skip_interposed)
    : control_(control),
      process_(std::move(process)),
      skip_interposed_(skip_interposed),
      handoff_(std::move(handoff)),
      stop_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!stop_) throw std::system_error(errno, std::system_category(), "eventfd");
  thread_ = std::thread([this] { run(); });
}

NotifySupervisor::~NotifySupervisor() { stop(); }

void NotifySupervisor::stop() {
  if (!thread_.joinable()) return;
  std::uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  handoff_->abandon();
  thread_.join();
}

bool NotifySupervisor::interposed(pid_t tid) {
  std::string proc = "/proc/" + std::to_string(tid);
  struct stat st;
  if (::stat((proc + "/exe").c_str(), &st) != 0) return false;
  Exe& e = exes_[tid];
  if (e.dev == static_cast<std::uint64_t>(st.st_dev) &&
      e.ino == static_cast<std::uint64_t>(st.st_ino))
    return e.interposed;
  // Known for good once the interposer is mapped, or when the program is static (it never
  // will be); a dynamic program still loading its libraries is looked at again next time.
  bool found = false;
  std::ifstream maps(proc + "/maps");
  std::string line;
  while (!found && std::getline(maps, line))
    found = line.find("libfaultline-interpose") != std::string::npos;
  if (found || is_static_program(proc + "/exe"))
    e = {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino), found};
  return found;
}

std::string NotifySupervisor::error() const {
  return error_ready_.load(std::memory_order_acquire) ? error_ : std::string();
}

void NotifySupervisor::run() {
  std::string error;
  UniqueFd listener = handoff_->receive(error);
  error_ = std::move(error);
  error_ready_.store(true, std::memory_order_release);
  if (!listener) return;
  killable_wait_ = handoff_->killable_wait();
  // Linux 6.6: the notified task wakes this thread on its own CPU and the answer wakes the
  // task on this one, as a synchronous hand-off (a pipe's reader and writer are woken so).
  sync_wake_up_ = ::ioctl(listener.get(), kSetFlags, kSyncWakeUp) == 0;
  sync_known_.store(true, std::memory_order_release);
  serve(listener.get());
}

void NotifySupervisor::record(const RemoteCall& rc, const fl_subject& s) {
  fl_recorded* e =
      fl_record_slot(control_, process_.c_str(), s.call, 0, 0, 0, s.shape, FL_REC_SECCOMP);
  if (!e) return;
  const std::uint64_t n = e->count.fetch_add(1, std::memory_order_relaxed) + 1;
  // This backend injects no short transfer. The state is looked at as the interposer does:
  // on the first 8 calls, then the 16th, 32nd ..., until every bit the call can have is set.
  const unsigned possible = fl_record_possible(s.call, s.shape) & ~FL_REC_SHORT;
  const unsigned have = e->flags.load(std::memory_order_relaxed);
  if ((have & possible) == possible || (n > 8 && (n & (n - 1)) != 0)) return;
  const unsigned want = possible & ~have;
  const fl_state st = remote_state(rc, s.shape, fl_record_needs(s.call, want));
  if (unsigned bits = fl_record_realistic(s.call, want, FL_SIZE_UNKNOWN, &st))
    e->flags.fetch_or(bits, std::memory_order_relaxed);
}

void NotifySupervisor::serve(int listener) {
  NotifyBuffers buf;
  const SyscallMap& map = SyscallMap::get();
  std::uint64_t shm_dev = UINT64_MAX;
  struct stat shm;
  if (::stat("/dev/shm", &shm) == 0) shm_dev = static_cast<std::uint64_t>(shm.st_dev);
  std::vector<Pending> delayed;

  for (;;) {
    int timeout = -1;
    if (!delayed.empty()) {
      auto next =
          std::min_element(delayed.begin(), delayed.end(),
                           [](const Pending& a, const Pending& b) { return a.due < b.due; });
      auto left = std::chrono::ceil<std::chrono::milliseconds>(next->due - Clock::now()).count();
      timeout = static_cast<int>(std::max<long long>(0, left));
    }
    pollfd fds[2] = {{listener, POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) return;
    auto now = delayed.empty() ? Clock::time_point() : Clock::now();
    for (auto it = delayed.begin(); it != delayed.end();) {
      if (it->due <= now) {
        respond(listener, buf.resp, it->id, 0);
        ++answered_;
        it = delayed.erase(it);
      } else {
        ++it;
      }
    }
    if (n <= 0) continue;
    if (fds[1].revents != 0) return;
    if (!(fds[0].revents & POLLIN)) {
      // POLLHUP: no task uses the filter any more.
      if (fds[0].revents != 0) return;
      continue;
    }
    std::memset(buf.req, 0, sizeof *buf.req);
    if (seccomp_notify_receive(listener, buf.req) != 0) continue;  // the caller went away
    const seccomp_notif& req = *buf.req;
    if (const char* abi = foreign_abi(req.data)) {
      // Let through unjudged, and recorded once per process: it escaped injection there, and
      // a pass must not hide that. The cache forgets all: such a call may close or dup fds.
      cache_.disable();
      const pid_t tgid = thread_group_of(static_cast<pid_t>(req.pid));
      const pid_t pid = tgid > 0 ? tgid : static_cast<pid_t>(req.pid);
      struct stat owner {};
      (void)::stat(("/proc/" + std::to_string(pid)).c_str(), &owner);
      if (foreign_abi_seen_.insert(pid).second)
        fl_fact_write(control_, FL_FACT_FOREIGN_ABI, pid, 0, owner.st_uid, process_.c_str(), abi);
      respond(listener, buf.resp, req.id, 0);
      ++answered_;
      continue;
    }
    cache_.seen(static_cast<pid_t>(req.pid), req.data.nr, req.data.args[0], req.data.args[1]);
    if (req.data.nr == __NR_io_uring_setup) {
      cache_.disable();  // the ring closes and installs fds without a system call we see
      // Recorded once per process: what it submits through the ring no filter sees.
      const pid_t tgid = thread_group_of(static_cast<pid_t>(req.pid));
      const pid_t pid = tgid > 0 ? tgid : static_cast<pid_t>(req.pid);
      struct stat owner {};  // /proc/PID belongs to the process's effective uid
      (void)::stat(("/proc/" + std::to_string(pid)).c_str(), &owner);
      if (io_uring_seen_.insert(pid).second)
        fl_fact_write(control_, FL_FACT_IO_URING, pid, 0, owner.st_uid, process_.c_str(),
                      "io_uring_setup system call, seen by the seccomp backend");
      respond(listener, buf.resp, req.id, 0);
      ++answered_;
      continue;
    }
    const SyscallEntry* entry = map.find(req.data.nr);
    int call = entry ? SyscallMap::call_for(*entry, control_->armed) : -1;
    if (call < 0 || (skip_interposed_ && interposed(static_cast<pid_t>(req.pid)))) {
      respond(listener, buf.resp, req.id, 0);
      ++answered_;
      continue;
    }
    RemoteCall rc;
    rc.control = control_;
    rc.tid = static_cast<pid_t>(req.pid);
    rc.entry = entry;
    std::copy(std::begin(req.data.args), std::end(req.data.args), rc.args);
    rc.shm_dev = shm_dev;
    rc.cache = &cache_;
    rc.listener = listener;
    rc.id = req.id;
    fl_subject s{};
    s.size = FL_SIZE_UNKNOWN;  // short never applies under seccomp
    s.call = call;
    s.process = process_.c_str();
    s.caller = 0;           // the syscall's own address says nothing of the caller
    s.site_base = nullptr;  // so site= rules do not match here
    s.channel = -1;
    s.resolve = resolve_remote;
    s.context = &rc;
    if (control_->record) {
      // Recording: every call on an IPC object, per call (a system call says nothing of its
      // caller's site).
      resolve_remote(&s, FL_NEED_CLASS | FL_NEED_STREAM);
      s.known |= FL_NEED_CLASS | FL_NEED_STREAM;
      if (s.fd_class == FL_FD_IPC) record(rc, s);
    }
    std::uint64_t hit = 0;
    int rule = fl_rules_decide(control_, &s, &hit);
    if (rule < 0) {
      respond(listener, buf.resp, req.id, 0);
      ++answered_;
      continue;
    }
    // What was read of the target (fds, paths) belonged to it only if it still waits.
    if (seccomp_notify_id_valid(listener, req.id) != 0) continue;
    const fl_rule& r = control_->rules[rule];
    if (!(s.known & FL_NEED_CHANNEL)) {
      resolve_remote(&s, FL_NEED_CHANNEL);
      s.known |= FL_NEED_CHANNEL;
    }
    pid_t tgid = thread_group_of(rc.tid);
    const SyscallObject& o = entry->object;
    fl_event_data d{};
    d.call = call;
    d.rule = rule;
    d.fd = (o.kind == ObjectKind::fd || o.kind == ObjectKind::id || o.kind == ObjectKind::map) &&
                   o.arg >= 0
               ? static_cast<int>(rc.args[o.arg])
               : -1;
    d.channel = s.channel;
    d.hit = hit;
    d.result = r.action == FL_ACT_ERROR ? -1 : 0;
    d.err = r.action == FL_ACT_ERROR ? r.arg : 0;
    d.caller = req.data.instruction_pointer;
    d.pid = tgid > 0 ? tgid : rc.tid;
    d.tid = rc.tid;
    d.process = process_.c_str();
    fl_event_write(control_, &d);
    switch (r.action) {
      case FL_ACT_ERROR: {
        // The kernel raises SIGPIPE inside the failing call: nothing of the program runs
        // between the EPIPE and the signal. Where the task waits killable once its call was
        // received (Handoff::killable_wait), the signal goes first: a handled or blocked one
        // stays pending until the answer and is taken as the call returns, a fatal one ends
        // the process in the call, an ignored one is dropped. Else after the answer (one sent
        // while the call waits would restart it), and the program may run on, even into its
        // next call, before the signal arrives.
        const bool sigpipe = comes_with_sigpipe(req, r.arg);
        if (sigpipe && killable_wait_) ::syscall(SYS_tgkill, d.pid, rc.tid, SIGPIPE);
        respond(listener, buf.resp, req.id, r.arg);
        ++answered_;
        if (sigpipe && !killable_wait_) ::syscall(SYS_tgkill, d.pid, rc.tid, SIGPIPE);
        break;
      }
      case FL_ACT_DELAY:
        delayed.push_back(
            {Clock::now() + std::chrono::nanoseconds(fl_rules_delay_ns(control_, rule, hit)),
             req.id});
        break;
      case FL_ACT_SIGNAL:
        // Answered first: a signal that arrives while the call waits for its answer would
        // restart it, and the restarted call would count as another hit.
        respond(listener, buf.resp, req.id, 0);
        ++answered_;
        ::syscall(SYS_tgkill, d.pid, rc.tid, r.arg);
        break;
      default:  // the runner rejects the other kinds for this backend
        respond(listener, buf.resp, req.id, 0);
        ++answered_;
        break;
    }
  }
}

}  // namespace faultline::seccomp
