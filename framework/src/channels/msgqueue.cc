// msgqueue: a System V message queue (msgget under an ftok key; msgctl IPC_RMID).
#include <sys/msg.h>

#include "channels/mechanisms.h"
#include "channels/sysv_channel.h"

namespace faultline {
namespace {

std::string msgget_hint(int err) {
  switch (err) {
    case ENOSPC:
      return "the system limit of queues is reached (/proc/sys/kernel/msgmni)";
    case ENOMEM:
      return "the kernel is out of memory for a new queue";
    case EACCES:
      return "the key belongs to a queue of another user";
    default:
      return {};
  }
}

}  // namespace

std::unique_ptr<Channel> make_msgqueue_channel(const ChannelSpec& spec, RunFolder& dir) {
  auto object = create_sysv_object(
      spec, dir, "msg", "msgget(IPC_CREAT|IPC_EXCL|0600)",
      [](key_t key) { return ::msgget(key, IPC_CREAT | IPC_EXCL | 0600); }, msgget_hint);
  return adopt_sysv_object(spec, dir, "msg", object);
}

}  // namespace faultline
