// Classifying another process's objects; see remote_subject.h. Mirrors fl_resolve_fd and
// fl_resolve_subject of interpose/fd_attribution.c, from the outside.
#include "seccomp/remote_subject.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string_view>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "util/unique_fd.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

namespace faultline::seccomp {
namespace {

int channel_by_inode(const fl_control* ctl, const struct stat& st) {
  for (uint32_t i = 0; i < ctl->channel_count && i < FL_MAX_CHANNELS; ++i) {
    const fl_channel& c = ctl->channels[i];
    if (c.ino != 0 && c.ino == st.st_ino && c.dev == st.st_dev) return static_cast<int>(i);
  }
  return -1;
}

// The runner's capture of a process's stdout or stderr: class file, as a terminal would be.
bool is_capture(const fl_control* ctl, const struct stat& st) {
  for (uint32_t i = 0; i < ctl->capture_count && i < FL_MAX_CAPTURES; ++i) {
    const fl_capture& c = ctl->captures[i];
    if (c.ino == st.st_ino && c.dev == st.st_dev) return true;
  }
  return false;
}

int channel_by_name(const fl_control* ctl, const std::string& name) {
  if (name.empty()) return -1;
  for (uint32_t i = 0; i < ctl->channel_count && i < FL_MAX_CHANNELS; ++i) {
    const fl_channel& c = ctl->channels[i];
    if (c.path[0] != '\0' && strncmp(c.path, name.c_str(), FL_SITE_MAX) == 0)
      return static_cast<int>(i);
  }
  return -1;
}

int channel_by_sysv(const fl_control* ctl, int id, long key) {
  for (uint32_t i = 0; i < ctl->channel_count && i < FL_MAX_CHANNELS; ++i) {
    const fl_channel& c = ctl->channels[i];
    if (id >= 0 ? c.sysv_id == id : (key != 0 && c.key == static_cast<int32_t>(key)))
      return static_cast<int>(i);
  }
  return -1;
}

int channel_by_port(const fl_control* ctl, int port) {
  for (uint32_t i = 0; i < ctl->channel_count && i < FL_MAX_CHANNELS; ++i) {
    if (port != 0 && ctl->channels[i].port == port) return static_cast<int>(i);
  }
  return -1;
}

std::string proc_path(pid_t tid, const char* what) {
  return "/proc/" + std::to_string(tid) + "/" + what;
}

// Whether pidfd_getfd(2) is refused here: Docker's and Podman's default seccomp profiles
// refuse it without CAP_SYS_PTRACE, and so does kernel.yama.ptrace_scope 2. Learnt from the
// first EPERM (our targets run as our own user, so only a policy says EPERM) and kept for the
// runner's lifetime; the sockets are then classified through /proc (ProcSocket below).
std::atomic<bool> getfd_refused{false};

// A copy of the target's socket, to ask it for its type and addresses; empty when the target
// is gone or pidfd_getfd is refused (then getfd_refused says so).
UniqueFd take_fd(pid_t tid, int fd) {
  if (getfd_refused.load(std::memory_order_relaxed)) return {};
  pid_t tgid = thread_group_of(tid);
  if (tgid <= 0) return {};
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0)));
  if (!pidfd) return {};
  UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!copy && errno == EPERM) getfd_refused.store(true, std::memory_order_relaxed);
  return copy;
}

// What /proc and sock_diag say of a target's socket, without a copy of it: its type and the
// addresses socket_channel() would ask getsockname and getpeername for. Found in the
// target's own network namespace (/proc/TGID/net/...), except a Unix socket's peer, which
// only sock_diag(7) names, in the runner's namespace (the targets share it).
struct ProcSocket {
  int type = -1;                    // SOCK_STREAM, SOCK_DGRAM, ...; -1 unknown
  std::string own_path, peer_path;  // Unix: bound paths ("" unbound or abstract)
  int own_port = 0, peer_port = 0;  // inet
};

// The inode of "socket:[INODE]", 0 when the link is not a socket's.
std::uint64_t socket_inode(const std::string& link) {
  char target[64];
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  unsigned long long ino = 0;
  return std::sscanf(target, "socket:[%llu]", &ino) == 1 ? ino : 0;
}

// /proc/TGID/net/unix: "Num RefCount Protocol Flags Type St Inode [Path]". Sets the type and
// path of socket `ino`; false when it is not listed.
bool unix_socket_by_inode(pid_t tgid, std::uint64_t ino, int* type, std::string* path) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(tgid) + "/net/unix").c_str(), "re");
  if (!f) return false;
  char line[4096 + 128];
  bool found = false;
  (void)!std::fgets(line, sizeof line, f);  // header
  while (!found && std::fgets(line, sizeof line, f)) {
    unsigned t = 0;
    unsigned long long inode = 0;
    int consumed = 0;
    if (std::sscanf(line, "%*s %*s %*s %*s %x %*s %llu%n", &t, &inode, &consumed) != 2 ||
        inode != ino)
      continue;
    found = true;
    if (type) *type = static_cast<int>(t);
    if (path) {
      const char* p = line + consumed;
      while (*p == ' ') ++p;
      std::string text(p);
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      // An abstract name is shown with '@': socket_channel() ignores those too.
      *path = !text.empty() && text.front() == '/' ? text : std::string();
    }
  }
  std::fclose(f);
  return found;
}

// Asks sock_diag(7) about Unix socket `ino` (or, with `ino` 0, every Unix socket: a dump) for
// the attributes in `show`, and calls `each(msg, attribute type, payload, size)` for every
// attribute of every answer. False when sock_diag cannot answer.
template <class Each>
bool unix_diag(std::uint32_t ino, std::uint32_t show, Each each) {
  UniqueFd nl(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!nl) return false;
  struct {
    nlmsghdr nlh;
    unix_diag_req req;
  } request{};
  request.nlh.nlmsg_len = sizeof request;
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST | (ino == 0 ? NLM_F_DUMP : 0);
  request.req.sdiag_family = AF_UNIX;
  request.req.udiag_states = ~0U;
  request.req.udiag_ino = ino;
  request.req.udiag_show = show;
  request.req.udiag_cookie[0] = request.req.udiag_cookie[1] = ~0U;  // INET_DIAG_NOCOOKIE
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(nl.get(), &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) != static_cast<ssize_t>(sizeof request))
    return false;
  alignas(nlmsghdr) static thread_local char buf[32768];
  while (true) {
    ssize_t n = ::recv(nl.get(), buf, sizeof buf, 0);
    if (n <= 0) return false;
    unsigned left = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) return false;  // NLMSG_ERROR
      auto* msg = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
      int size = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *msg));
      for (auto* a = reinterpret_cast<rtattr*>(msg + 1); RTA_OK(a, size); a = RTA_NEXT(a, size))
        each(*msg, a->rta_type, RTA_DATA(a), RTA_PAYLOAD(a));
      if (ino != 0) return true;  // one answer
    }
  }
}

// The path a Unix socket's peer is bound to, as getpeername(2) would give it, through
// sock_diag: the peer's inode (UNIX_DIAG_PEER) and its line in /proc/TGID/net/unix; or, when
// the peer is a connection the server has not accepted yet (it has no inode until then), the
// listening socket whose accept queue holds `ino` (UNIX_DIAG_ICONS) and its name.
std::string unix_peer_path_once(pid_t tgid, std::uint64_t ino, bool& unanswered) {
  std::uint32_t peer = 0;
  (void)unix_diag(static_cast<std::uint32_t>(ino), UDIAG_SHOW_PEER,
                  [&](const unix_diag_msg&, unsigned type, const void* data, std::size_t size) {
                    if (type == UNIX_DIAG_PEER && size >= sizeof peer)
                      std::memcpy(&peer, data, sizeof peer);
                  });
  std::string path;
  if (peer != 0) {
    (void)unix_socket_by_inode(tgid, peer, nullptr, &path);
    return path;
  }
  // Every listener's queue and name: which one holds `ino`.
  std::map<std::uint32_t, std::string> names;
  std::uint32_t holder = 0;
  (void)unix_diag(0, UDIAG_SHOW_ICONS | UDIAG_SHOW_NAME,
                  [&](const unix_diag_msg& m, unsigned type, const void* data, std::size_t size) {
                    if (type == UNIX_DIAG_NAME && size > 0 && *static_cast<const char*>(data) != 0)
                      names[m.udiag_ino].assign(static_cast<const char*>(data),
                                                strnlen(static_cast<const char*>(data), size));
                    if (type == UNIX_DIAG_ICONS) {
                      for (std::size_t i = 0; i + sizeof(std::uint32_t) <= size;
                           i += sizeof(std::uint32_t)) {
                        std::uint32_t waiting;
                        std::memcpy(&waiting, static_cast<const char*>(data) + i, sizeof waiting);
                        if (waiting == ino) holder = m.udiag_ino;
                      }
                    }
                  });
  auto it = holder != 0 ? names.find(holder) : names.end();
  unanswered = holder == 0;
  return it != names.end() ? it->second : std::string();
}

std::string unix_peer_path(pid_t tgid, std::uint64_t ino) {
  // Neither a peer nor a listener holding it: the server may have accepted the connection
  // between the two questions (or the socket is not connected at all). Asked again, an
  // accepted peer has its inode.
  bool unanswered = false;
  std::string path = unix_peer_path_once(tgid, ino, unanswered);
  if (unanswered) path = unix_peer_path_once(tgid, ino, unanswered);
  return path;
}

// /proc/TGID/net/{tcp,tcp6,udp,udp6}: "sl local_address rem_address st tx:rx tr:when retrnsmt
// uid timeout inode ...", addresses as HEXADDR:HEXPORT. False when `ino` is not in `table`.
bool inet_socket_by_inode(pid_t tgid, const char* table, std::uint64_t ino, int* own_port,
                          int* peer_port) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(tgid) + "/net/" + table).c_str(), "re");
  if (!f) return false;
  char line[512];
  bool found = false;
  (void)!std::fgets(line, sizeof line, f);  // header
  while (!found && std::fgets(line, sizeof line, f)) {
    char local[64], remote[64];
    unsigned long long inode = 0;
    if (std::sscanf(line, "%*s %63s %63s %*s %*s %*s %*s %*s %*s %llu", local, remote, &inode) !=
            3 ||
        inode != ino)
      continue;
    found = true;
    auto port = [](const char* address) {
      const char* colon = std::strrchr(address, ':');
      return colon ? static_cast<int>(std::strtol(colon + 1, nullptr, 16)) : 0;
    };
    *own_port = port(local);
    *peer_port = port(remote);
  }
  std::fclose(f);
  return found;
}

// The socket behind /proc/TID/fd/FD, as far as /proc and sock_diag tell; nullopt when it is
// not found (closed since, or a family none of them lists).
std::optional<ProcSocket> proc_socket(pid_t tid, const std::string& link) {
  const std::uint64_t ino = socket_inode(link);
  const pid_t tgid = ino != 0 ? thread_group_of(tid) : 0;
  if (tgid <= 0) return std::nullopt;
  ProcSocket s;
  if (unix_socket_by_inode(tgid, ino, &s.type, &s.own_path)) {
    if (s.own_path.empty()) s.peer_path = unix_peer_path(tgid, ino);
    return s;
  }
  static constexpr std::pair<const char*, int> kTables[] = {
      {"tcp", SOCK_STREAM}, {"tcp6", SOCK_STREAM}, {"udp", SOCK_DGRAM}, {"udp6", SOCK_DGRAM}};
  for (const auto& [table, type] : kTables) {
    if (inet_socket_by_inode(tgid, table, ino, &s.own_port, &s.peer_port)) {
      s.type = type;
      return s;
    }
  }
  // Not in those tables: an inet socket neither bound nor connected, or another family. Its
  // protocol still says whether it is a stream (sockfs names it, see socket(7)).
  char proto[32];
  ssize_t n = ::getxattr(link.c_str(), "system.sockprotoname", proto, sizeof proto - 1);
  if (n <= 0) return std::nullopt;
  proto[n] = '\0';
  const std::string_view name(proto);
  s.type = name == "TCP" || name == "TCPv6" || name == "MPTCP" ? SOCK_STREAM : SOCK_DGRAM;
  return s;
}

int socket_channel(const fl_control* ctl, const ProcSocket& s) {
  for (const std::string* path : {&s.own_path, &s.peer_path}) {
    int ch = channel_by_name(ctl, *path);
    if (ch >= 0) return ch;
  }
  int ch = channel_by_port(ctl, s.own_port);
  return ch >= 0 ? ch : channel_by_port(ctl, s.peer_port);
}

int socket_channel(const fl_control* ctl, int fd) {
  for (int side = 0; side < 2; ++side) {
    union {
      sockaddr sa;
      sockaddr_un un;
      sockaddr_in in;
      sockaddr_in6 in6;
    } a;
    std::memset(&a, 0, sizeof a);
    socklen_t len = sizeof a;
    int r = side == 0 ? ::getsockname(fd, &a.sa, &len) : ::getpeername(fd, &a.sa, &len);
    if (r != 0) continue;
    int ch = -1;
    if (a.sa.sa_family == AF_UNIX && len > offsetof(sockaddr_un, sun_path) &&
        a.un.sun_path[0] != '\0') {
      a.un.sun_path[sizeof a.un.sun_path - 1] = '\0';
      ch = channel_by_name(ctl, a.un.sun_path);
    } else if (a.sa.sa_family == AF_INET) {
      ch = channel_by_port(ctl, ntohs(a.in.sin_port));
    } else if (a.sa.sa_family == AF_INET6) {
      ch = channel_by_port(ctl, ntohs(a.in6.sin6_port));
    }
    if (ch >= 0) return ch;
  }
  return -1;
}

// False when the fd is not open or what `need` asks could not be learnt.
bool resolve_fd(fl_subject* s, const RemoteCall& c, long fd, unsigned need, bool shared_map) {
  s->fd_class = FL_FD_IPC;
  s->channel = -1;
  s->stream = 0;
  struct stat st;
  std::string link = proc_path(c.tid, "fd/") + std::to_string(fd);
  if (fd < 0 || ::stat(link.c_str(), &st) != 0) return false;
  // Anonymous inodes (eventfd, signalfd, epoll, pidfd, ...) have no file type: not IPC.
  if ((st.st_mode & S_IFMT) == 0) {
    s->fd_class = FL_FD_ANON;
    return true;
  }
  if ((S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) && is_capture(c.control, st)) {
    s->fd_class = FL_FD_FILE;
    return true;
  }
  if (S_ISSOCK(st.st_mode)) {
    if (!(need & (FL_NEED_STREAM | FL_NEED_CHANNEL))) return true;
    UniqueFd copy = take_fd(c.tid, static_cast<int>(fd));
    if (!copy && getfd_refused.load(std::memory_order_relaxed)) {
      std::optional<ProcSocket> ps = proc_socket(c.tid, link);
      if (!ps) return false;
      if ((need & FL_NEED_STREAM) && ps->type >= 0) {
        s->stream = ps->type == SOCK_STREAM;
        s->shape = s->stream ? FL_SHAPE_STREAM : FL_SHAPE_MESSAGE;
      }
      if (need & FL_NEED_CHANNEL) s->channel = socket_channel(c.control, *ps);
      return true;
    }
    if (!copy) return false;
    if (need & FL_NEED_STREAM) {
      int type = 0;
      socklen_t len = sizeof type;
      if (::getsockopt(copy.get(), SOL_SOCKET, SO_TYPE, &type, &len) == 0) {
        s->stream = type == SOCK_STREAM;
        s->shape = s->stream ? FL_SHAPE_STREAM : FL_SHAPE_MESSAGE;
      }
    }
    if (need & FL_NEED_CHANNEL) s->channel = socket_channel(c.control, copy.get());
    return true;
  }
  s->channel = channel_by_inode(c.control, st);
  if (S_ISFIFO(st.st_mode)) s->shape = FL_SHAPE_PIPE;
  if (S_ISFIFO(st.st_mode) || s->channel >= 0) return true;
  if (S_ISREG(st.st_mode)) {
    if (shared_map || static_cast<uint64_t>(st.st_dev) == c.shm_dev) return true;
    struct statfs fs;
    if (::statfs(link.c_str(), &fs) == 0 && fs.f_type == MQUEUE_MAGIC) return true;
    s->fd_class = FL_FD_FILE;
    return true;
  }
  if (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISLNK(st.st_mode))
    s->fd_class = FL_FD_FILE;
  return true;
}

// An fd call's object: remembered, or classified in full (once per task and fd) and
// remembered when the cache may take it.
void resolve_fd_cached(fl_subject* s, const RemoteCall& c, int fd, unsigned need) {
  if (const FdFacts* f = c.cache->find(c.tid, fd)) {
    s->fd_class = f->fd_class;
    s->channel = f->channel;
    s->stream = f->stream;
    s->shape = f->shape;
    return;
  }
  if (!c.cache->may_store()) {
    (void)resolve_fd(s, c, fd, need, false);
    return;
  }
  if (resolve_fd(s, c, fd, FL_NEED_CLASS | FL_NEED_CHANNEL | FL_NEED_STREAM, false) &&
      seccomp_notify_id_valid(c.listener, c.id) == 0)
    c.cache->store(c.tid, fd, {s->fd_class, s->channel, s->stream, s->shape});
}

// A NUL-terminated string of the target, read page by page (the string may end right
// before an unmapped page).
std::string read_string(pid_t tid, uint64_t addr) {
  std::string out;
  if (addr == 0) return out;
  UniqueFd mem(::open(proc_path(tid, "mem").c_str(), O_RDONLY | O_CLOEXEC));
  if (!mem) return out;
  char buf[4096];
  while (out.size() < 4096) {
    std::size_t chunk = 4096 - (addr % 4096);
    ssize_t n = ::pread(mem.get(), buf, chunk, static_cast<off_t>(addr));
    if (n <= 0) break;
    const char* end = static_cast<const char*>(std::memchr(buf, '\0', static_cast<std::size_t>(n)));
    if (end) return out.append(buf, static_cast<std::size_t>(end - buf));
    out.append(buf, static_cast<std::size_t>(n));
    addr += static_cast<uint64_t>(n);
  }
  return out;
}

}  // namespace

pid_t thread_group_of(pid_t tid) {
  std::FILE* f = std::fopen(proc_path(tid, "status").c_str(), "re");
  if (!f) return 0;
  char line[256];
  pid_t tgid = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "Tgid: %d", &tgid) == 1) break;
  }
  std::fclose(f);
  return tgid;
}

fl_state remote_state(const RemoteCall& c, unsigned shape, unsigned need) {
  fl_state st{shape, -1, -1, -1, -1};
  const SyscallObject& o = c.entry->object;
  if ((need & FL_STATE_FD) && o.kind == ObjectKind::fd && o.arg >= 0) {
    const int fd = static_cast<int>(c.args[o.arg]);
    if (std::FILE* f = std::fopen((proc_path(c.tid, "fdinfo/") + std::to_string(fd)).c_str(), "re")) {
      char line[256];
      unsigned long flags = 0;
      while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "flags: %lo", &flags) == 1) {
          st.nonblocking = (flags & O_NONBLOCK) != 0;
          break;
        }
      }
      std::fclose(f);
    }
    st.rcvtimeo = st.sndtimeo = 0;
    if (shape == FL_SHAPE_STREAM || shape == FL_SHAPE_MESSAGE) {
      st.rcvtimeo = st.sndtimeo = -1;
      if (UniqueFd copy = take_fd(c.tid, fd)) {
        for (auto [opt, out] : {std::pair{SO_RCVTIMEO, &st.rcvtimeo}, {SO_SNDTIMEO, &st.sndtimeo}}) {
          timeval tv{};
          socklen_t len = sizeof tv;
          if (::getsockopt(copy.get(), SOL_SOCKET, opt, &tv, &len) == 0)
            *out = tv.tv_sec != 0 || tv.tv_usec != 0;
        }
      }
    }
  }
  if (need & FL_STATE_SIGNALS) {
    if (std::FILE* f = std::fopen(proc_path(c.tid, "status").c_str(), "re")) {
      char line[256];
      unsigned long long caught = 0;
      while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "SigCgt: %llx", &caught) == 1) {
          // glibc's own SIGCANCEL and SIGSETXID (32, 33) are no program's handlers.
          caught &= ~((1ULL << 31) | (1ULL << 32));
          st.handlers = caught == 0 ? FL_HANDLERS_NONE : -1;
          break;
        }
      }
      std::fclose(f);
    }
  }
  return st;
}

void resolve_remote(fl_subject* s, unsigned need) {
  const auto& c = *static_cast<const RemoteCall*>(s->context);
  const SyscallObject& o = c.entry->object;
  s->fd_class = FL_FD_IPC;
  s->channel = -1;
  s->stream = 0;
  auto arg = [&](int i) -> uint64_t { return i >= 0 && i < 6 ? c.args[i] : 0; };
  switch (o.kind) {
    case ObjectKind::fd:
      if (c.cache && c.cache->enabled())
        resolve_fd_cached(s, c, static_cast<int>(arg(o.arg)), need);
      else
        (void)resolve_fd(s, c, static_cast<int>(arg(o.arg)), need, false);
      break;
    case ObjectKind::map: {
      int fd = static_cast<int>(arg(o.arg));
      bool shared = (arg(o.flags_arg) & MAP_SHARED) != 0;
      if (fd >= 0)
        (void)resolve_fd(s, c, fd, need, shared);
      else if (!shared)
        s->fd_class = FL_FD_FILE;
      break;
    }
    case ObjectKind::id:
      s->channel = channel_by_sysv(c.control, static_cast<int>(arg(o.arg)), 0);
      break;
    case ObjectKind::key:
      s->channel = channel_by_sysv(c.control, -1, static_cast<long>(static_cast<int>(arg(o.arg))));
      break;
    case ObjectKind::name: {
      std::string name = read_string(c.tid, arg(o.arg));
      // mq_open(3) strips the leading slash before the syscall.
      if (!name.empty() && name.front() != '/') name.insert(name.begin(), '/');
      s->channel = channel_by_name(c.control, name);
      break;
    }
    case ObjectKind::path: {
      std::string path = read_string(c.tid, arg(o.arg));
      std::string full = path;
      if (!path.empty() && path.front() != '/') {
        int dirfd = o.dir_arg >= 0 ? static_cast<int>(arg(o.dir_arg)) : AT_FDCWD;
        full = (dirfd == AT_FDCWD ? proc_path(c.tid, "cwd")
                                  : proc_path(c.tid, "fd/") + std::to_string(dirfd)) +
               "/" + path;
      }
      struct stat st;
      if (path.empty() || ::stat(full.c_str(), &st) != 0) {
        s->channel = channel_by_name(c.control, path);
        if (s->channel < 0) s->fd_class = FL_FD_FILE;
        break;
      }
      s->channel = channel_by_inode(c.control, st);
      if (s->channel < 0) s->channel = channel_by_name(c.control, path);
      if ((!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && s->channel < 0 &&
           static_cast<uint64_t>(st.st_dev) != c.shm_dev) ||
          is_capture(c.control, st))
        s->fd_class = FL_FD_FILE;
      break;
    }
    case ObjectKind::none:
      break;
  }
}

}  // namespace faultline::seccomp
