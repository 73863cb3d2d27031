// posix-mq: a POSIX message queue (mq_open O_CREAT|O_EXCL, 0600; removed with mq_unlink).
#include <fcntl.h>
#include <mqueue.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

#include <fmt/format.h>

#include "channels/channel_failure.h"
#include "channels/ipc_names.h"
#include "channels/mechanisms.h"
#include "channels/posix_named_channel.h"

namespace faultline {
namespace {

constexpr long kDefaultMessages = 10;
constexpr long kDefaultMessageSize = 8192;
// What the kernel charges per message beyond its bytes (a pointer and a tree node, roughly).
constexpr long kQueueOverheadPerMessage = 48;

long read_limit(const char* file, long fallback) {
  std::ifstream in(file);
  long value = 0;
  return (in >> value) && value > 0 ? value : fallback;
}

std::string mq_open_hint(int err, const mq_attr& attr) {
  switch (err) {
    case EINVAL:
      return fmt::format(
          "{} messages of {} bytes exceed the system limits (/proc/sys/fs/mqueue/msg_max, "
          "/proc/sys/fs/mqueue/msgsize_max); give a smaller `count` or `size`",
          attr.mq_maxmsg, attr.mq_msgsize);
    case EMFILE:
    case ENOMEM: {
      // The kernel counts every queue of the user (all runs, all programs) against the limit.
      rlimit limit{};
      const bool known = ::getrlimit(RLIMIT_MSGQUEUE, &limit) == 0;
      const long need = attr.mq_maxmsg * (attr.mq_msgsize + kQueueOverheadPerMessage);
      return fmt::format(
          "RLIMIT_MSGQUEUE ({}) exceeded: the user's POSIX message queues together may hold "
          "that many bytes, and this one needs about {} ({} messages of {} bytes); raise it "
          "with `ulimit -q BYTES` or `prlimit --msgqueue=BYTES`, run fewer scenarios at once, "
          "or give a smaller `count` or `size`",
          !known                            ? std::string("its value unknown")
          : limit.rlim_cur == RLIM_INFINITY ? std::string("unlimited")
                                            : fmt::format("{} bytes", limit.rlim_cur),
          need, attr.mq_maxmsg, attr.mq_msgsize);
    }
    case ENFILE:
    case ENOSPC:
      return "the system limit of message queues is reached (/proc/sys/fs/mqueue/queues_max)";
    case ENOSYS:
      return "the kernel has no POSIX message queues (CONFIG_POSIX_MQUEUE)";
    default:
      return {};
  }
}

}  // namespace

std::unique_ptr<Channel> make_posix_mq_channel(const ChannelSpec& spec, RunFolder& dir) {
  mq_attr attr{};
  // Unprivileged callers get EINVAL above the sysctl limits, so the defaults bow to them.
  attr.mq_maxmsg =
      spec.count
          ? static_cast<long>(spec.count)
          : std::min(kDefaultMessages, read_limit("/proc/sys/fs/mqueue/msg_max", kDefaultMessages));
  attr.mq_msgsize =
      spec.size ? static_cast<long>(spec.size)
                : std::min(kDefaultMessageSize,
                           read_limit("/proc/sys/fs/mqueue/msgsize_max", kDefaultMessageSize));
  std::string name = reserve_posix_name(dir, "posix-mq", spec.name);
  mqd_t q = ::mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
  if (q == static_cast<mqd_t>(-1)) {
    int err = errno;
    throw_call_failure(spec, fmt::format("mq_open({}, O_CREAT|O_EXCL, 0600)", name), err,
                       mq_open_hint(err, attr));
  }
  ::mq_close(q);
  return adopt_posix_object(
      spec, dir, "posix-mq", name,
      {{"count", std::to_string(attr.mq_maxmsg)}, {"size", std::to_string(attr.mq_msgsize)}});
}

}  // namespace faultline
