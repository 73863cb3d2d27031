// Channel opening per type; see open_transport.h.
#include "open_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "datagram_transport.h"
#include "msgqueue_transport.h"
#include "posix_mq_transport.h"
#include "ring_transport.h"
#include "stream_transport.h"
#include "util/unique_fd.h"

namespace faultline::peer {
namespace {

bool is_server(const PeerOptions& o) { return faultline::is_server(o.mode); }

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw ChannelFailure("fcntl(O_NONBLOCK)", errno);
  }
}

UniqueFd dup_fd(int fd) {
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  if (!copy) throw ChannelFailure("fcntl(F_DUPFD_CLOEXEC)", errno);
  return copy;
}

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNIX;
  [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Address address_of(const PeerOptions& o) {
  Address a;
  if (channel_type_info(o.type).address == ChannelAddress::path) {  // unix-stream, unix-dgram
    auto* un = reinterpret_cast<sockaddr_un*>(&a.storage);
    un->sun_family = AF_UNIX;
    if (o.path.size() >= sizeof un->sun_path) {
      throw ChannelFailure("the socket path " + o.path + " is too long for sun_path", ENAMETOOLONG);
    }
    std::memcpy(un->sun_path, o.path.c_str(), o.path.size() + 1);
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + o.path.size() + 1);
    return a;
  }
  auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
  in->sin_family = AF_INET;
  in->sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &in->sin_addr) != 1) {
    throw ChannelFailure("--host " + o.host + " is not an IPv4 address", EINVAL);
  }
  a.length = sizeof(sockaddr_in);
  a.family = AF_INET;
  return a;
}

UniqueFd new_socket(int family, int type) {
  UniqueFd fd(::socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw ChannelFailure("socket", errno);
  return fd;
}

// Binds, replacing a stale socket file (a server that died before unlinking it).
void bind_to(int fd, const Address& a, const PeerOptions& o) {
  for (int attempt = 0;; ++attempt) {
    if (::bind(fd, a.get(), a.length) == 0) return;
    int err = errno;
    struct stat st {};
    if (err == EADDRINUSE && a.family == AF_UNIX && attempt == 0 &&
        ::lstat(o.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      (void)::unlink(o.path.c_str());
      continue;
    }
    if (err == EINTR) continue;
    throw ChannelFailure(
        "bind(" + (o.path.empty() ? o.host + ":" + std::to_string(o.port) : o.path) + ")", err);
  }
}

// The connection errors that mean "the server is not (yet) there": worth another try.
bool server_not_there(int err) {
  return err == ECONNREFUSED || err == ENOENT || err == EAGAIN || err == ETIMEDOUT ||
         err == ECONNRESET || err == ECONNABORTED;
}

UniqueFd connect_to(const Address& a, int type, const PeerOptions& o, Deadline deadline,
                    IoStats& stats) {
  Backoff backoff;
  for (;;) {
    UniqueFd fd = new_socket(a.family, type);
    if (a.family == AF_UNIX && type == SOCK_DGRAM) {
      // An autobound (abstract) address, so that an echo server can answer.
      sockaddr_un self{};
      self.sun_family = AF_UNIX;
      if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&self), sizeof(sa_family_t)) != 0) {
        throw ChannelFailure("bind(autobind)", errno);
      }
    }
    int err = 0;
    if (::connect(fd.get(), a.get(), a.length) != 0) err = errno;
    if (err == EINPROGRESS || err == EINTR) {
      // The connection goes on in the background: wait for it and ask how it went.
      if (err == EINTR) stats.note(err);
      if (!wait_fd(fd.get(), POLLOUT, deadline, stats)) {
        throw ChannelFailure("connect: nobody accepted before the timeout", ETIMEDOUT);
      }
      socklen_t len = sizeof err;
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
    if (err == 0) {
      if (a.family == AF_INET && type == SOCK_STREAM) {
        int one = 1;
        (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      return fd;
    }
    if (!server_not_there(err) || Clock::now() >= deadline) {
      throw ChannelFailure("connect(" +
                               (o.path.empty() ? o.host + ":" + std::to_string(o.port) : o.path) +
                               ") (is the server started, in mode recv or echo?)",
                           err);
    }
    if (err == EAGAIN || err == ECONNABORTED || err == ECONNRESET) stats.note(err);
    backoff.wait(deadline);
  }
}

UniqueFd listen_on(const Address& a, const PeerOptions& o) {
  UniqueFd listener = new_socket(a.family, SOCK_STREAM);
  if (a.family == AF_INET) {
    int one = 1;
    (void)::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  bind_to(listener.get(), a, o);
  if (::listen(listener.get(), 8) != 0) throw ChannelFailure("listen", errno);
  return listener;
}

// The next connection, or an invalid fd when none came before the deadline.
UniqueFd accept_next(int listener, const Address& a, Deadline deadline, IoStats& stats) {
  for (;;) {
    if (!wait_fd(listener, POLLIN, deadline, stats)) return UniqueFd();
    UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (conn) {
      if (a.family == AF_INET) {
        int one = 1;
        (void)::setsockopt(conn.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      return conn;
    }
    int err = errno;
    // accept(2): these are the client's trouble or a transient shortage, not the server's.
    if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK || err == ECONNABORTED ||
        err == EPROTO || err == ENOBUFS || err == ENOMEM || err == EMFILE || err == ENFILE) {
      stats.note(err);
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
        Backoff().wait(deadline);
      continue;
    }
    throw ChannelFailure("accept", err);
  }
}

UniqueFd accept_one(int listener, const Address& a, Deadline deadline, IoStats& stats) {
  UniqueFd conn = accept_next(listener, a, deadline, stats);
  if (!conn) throw ChannelFailure("accept: no client connected before the timeout", ETIMEDOUT);
  return conn;
}

// Removes the socket file a server bound, when the server is done.
class BoundPath final {
 public:
  explicit BoundPath(std::string path) : path_(std::move(path)) {}
  BoundPath(const BoundPath&) = delete;
  BoundPath& operator=(const BoundPath&) = delete;
  ~BoundPath() { (void)::unlink(path_.c_str()); }

 private:
  std::string path_;
};

std::unique_ptr<Transport> open_socket(const PeerOptions& o, Deadline deadline, IoStats& stats) {
  Address a = address_of(o);
  if (channel_type_info(o.type).stream_socket) {
    std::shared_ptr<BoundPath> bound;
    std::shared_ptr<UniqueFd> listener;
    UniqueFd fd;
    if (is_server(o)) {
      if (a.family == AF_UNIX) bound = std::make_shared<BoundPath>(o.path);
      listener = std::make_shared<UniqueFd>(listen_on(a, o));
      fd = accept_one(listener->get(), a, deadline, stats);
    } else {
      fd = connect_to(a, SOCK_STREAM, o, deadline, stats);
    }
    UniqueFd out = dup_fd(fd.get());
    auto t = std::make_unique<StreamTransport>(std::move(fd), std::move(out), o.size_max);
    if (o.reconnect) {
      // The listener stays open for the next connection; the counters are the transport's.
      IoStats* counters = &t->stats();
      if (listener) {
        t->set_reconnect(StreamTransport::Side::server, [listener, a, counters](Deadline d) {
          return accept_next(listener->get(), a, d, *counters);
        });
      } else {
        t->set_reconnect(StreamTransport::Side::client, [a, o, counters](Deadline d) {
          try {
            return connect_to(a, SOCK_STREAM, o, d, *counters);
          } catch (const ChannelFailure&) {
            return UniqueFd();  // the server did not come back: the stream has ended
          }
        });
      }
    }
    if (bound) t->keep_until_closed(std::move(bound));
    return t;
  }
  if (is_server(o)) {
    UniqueFd fd = new_socket(a.family, SOCK_DGRAM);
    bind_to(fd.get(), a, o);
    std::unique_ptr<Transport> t =
        std::make_unique<DatagramTransport>(std::move(fd), false, o.size_max);
    if (a.family == AF_UNIX) t->keep_until_closed(std::make_shared<BoundPath>(o.path));
    return t;
  }
  return std::make_unique<DatagramTransport>(connect_to(a, SOCK_DGRAM, o, deadline, stats), true,
                                             o.size_max);
}

// Non-blocking, so opening never waits for a writer; poll waits for the first data.
UniqueFd open_fifo_reader(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) throw ChannelFailure("open(" + path + ", O_RDONLY) (is the FIFO provisioned?)", errno);
  return fd;
}

UniqueFd open_fifo_writer(const std::string& path, Deadline deadline, IoStats& stats) {
  Backoff backoff;
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (fd) return fd;
    int err = errno;
    if (err == EINTR) {
      stats.note(err);
      continue;
    }
    // ENXIO: no reader has the FIFO open yet.
    if (err != ENXIO || Clock::now() >= deadline) {
      throw ChannelFailure("open(" + path + ", O_WRONLY) (is the other peer reading it?)", err);
    }
    backoff.wait(deadline);
  }
}

// echo reads the first FIFO and answers into the second; request opens the answers' FIFO for
// reading before it waits for a reader of its own, so the two never wait for each other.
std::unique_ptr<Transport> open_fifo(const PeerOptions& o, Deadline deadline, IoStats& stats) {
  UniqueFd in, out;
  switch (o.mode) {
    case Mode::recv:
      in = open_fifo_reader(o.path);
      break;
    case Mode::send:
      out = open_fifo_writer(o.path, deadline, stats);
      break;
    case Mode::echo:
      in = open_fifo_reader(o.path);
      out = open_fifo_writer(o.reply_path, deadline, stats);
      break;
    case Mode::request:
      in = open_fifo_reader(o.reply_path);
      out = open_fifo_writer(o.path, deadline, stats);
      break;
  }
  return std::make_unique<StreamTransport>(std::move(in), std::move(out), o.size_max);
}

std::unique_ptr<Transport> open_pipe(const PeerOptions& o) {
  UniqueFd in, out;
  if (o.mode != Mode::send) {
    in = dup_fd(o.in_fd);
    set_nonblocking(in.get());
  }
  if (o.mode != Mode::recv) {
    out = dup_fd(o.out_fd);
    set_nonblocking(out.get());
  }
  // The original numbers go too: a writer's end must close everywhere for the reader's EOF.
  if (o.mode != Mode::send && o.in_fd > 2) (void)::close(o.in_fd);
  if (o.mode != Mode::recv && o.out_fd > 2) (void)::close(o.out_fd);
  if (o.mode != Mode::recv && o.out_fd == 1) {
    // stdout was the channel; make fd 1 /dev/null so nothing else ever writes into it.
    UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (null) (void)::dup2(null.get(), 1);
  }
  return std::make_unique<StreamTransport>(std::move(in), std::move(out), o.size_max);
}

int sysv_id(const PeerOptions& o, int (*get)(key_t), const char* call) {
  if (o.id) return *o.id;
  int id = get(static_cast<key_t>(*o.key));
  if (id < 0)
    throw ChannelFailure(std::string(call) + "(key " + std::to_string(*o.key) + ")", errno);
  return id;
}

}  // namespace

std::unique_ptr<Transport> open_transport(const PeerOptions& o, Deadline deadline) {
  IoStats stats;  // what opening absorbed is merged into the transport's counters
  std::unique_ptr<Transport> t;
  bool client = !is_server(o);
  switch (o.type) {
    case ChannelType::pipe:
      t = open_pipe(o);
      break;
    case ChannelType::fifo:
      t = open_fifo(o, deadline, stats);
      break;
    case ChannelType::unix_stream:
    case ChannelType::tcp:
    case ChannelType::unix_dgram:
    case ChannelType::udp:
      t = open_socket(o, deadline, stats);
      break;
    case ChannelType::msgqueue: {
      int id = sysv_id(
          o, [](key_t k) { return ::msgget(k, 0); }, "msgget");
      t = std::make_unique<MsgqueueTransport>(id, client, o.size_max);
      break;
    }
    case ChannelType::posix_mq: {
      // Frames go over the first queue, answers over the second.
      std::string in, out;
      if (o.mode == Mode::recv || o.mode == Mode::echo) in = o.name;
      if (o.mode == Mode::echo) out = o.reply_name;
      if (o.mode == Mode::send || o.mode == Mode::request) out = o.name;
      if (o.mode == Mode::request) in = o.reply_name;
      auto q = std::make_unique<PosixMqTransport>(in, out);
      if (q->message_size() < kHeaderSize + o.size_max) {
        throw ChannelFailure("the queue's messages hold " + std::to_string(q->message_size()) +
                                 " bytes, a frame needs up to " +
                                 std::to_string(kHeaderSize + o.size_max) +
                                 "; give the channel a larger `size` or the peer a smaller --size",
                             EMSGSIZE);
      }
      t = std::move(q);
      break;
    }
    case ChannelType::shm:
    case ChannelType::mmap: {
      auto segment = o.type == ChannelType::shm
                         ? attach_sysv_segment(sysv_id(
                               o, [](key_t k) { return ::shmget(k, 0, 0); }, "shmget"))
                         : map_shared_object(o.name, o.path);
      std::unique_ptr<RingSignal> signal;
      if (o.sem_id || o.sem_key) {
        int sem = o.sem_id ? *o.sem_id : ::semget(static_cast<key_t>(*o.sem_key), 0, 0);
        if (sem < 0) throw ChannelFailure("semget(key " + std::to_string(*o.sem_key) + ")", errno);
        signal = make_semaphore_signal(sem, o.mode == Mode::send || o.mode == Mode::recv ? 2 : 4);
      } else {
        signal = make_futex_signal();
      }
      t = std::make_unique<RingTransport>(std::move(segment), std::move(signal), client,
                                          o.size_max);
      break;
    }
    case ChannelType::semaphore:
      throw ChannelFailure("a semaphore channel carries no messages", EINVAL);
  }
  for (const auto& [name, n] : stats.errors) t->stats().errors[name] += n;
  t->stats().short_transfers += stats.short_transfers;
  return t;
}

}  // namespace faultline::peer
