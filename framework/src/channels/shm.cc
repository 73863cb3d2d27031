// shm: a System V shared memory segment (shmget under an ftok key; shmctl IPC_RMID).
#include <sys/shm.h>

#include <fmt/format.h>

#include "channels/mechanisms.h"
#include "channels/sysv_channel.h"

namespace faultline {
namespace {

constexpr std::uint64_t kDefaultSize = 4096;

std::string shmget_hint(int err) {
  switch (err) {
    case EINVAL:
      return "the size is outside what the system allows (/proc/sys/kernel/shmmax); give a "
             "smaller `size`";
    case ENOSPC:
      return "the system limit of segments or of shared memory is reached "
             "(/proc/sys/kernel/shmmni, /proc/sys/kernel/shmall)";
    case ENOMEM:
      return "not enough memory for a segment of this size; give a smaller `size`";
    default:
      return {};
  }
}

}  // namespace

std::unique_ptr<Channel> make_shm_channel(const ChannelSpec& spec, RunFolder& dir) {
  std::uint64_t size = spec.size ? spec.size : kDefaultSize;
  auto object = create_sysv_object(
      spec, dir, "shm", fmt::format("shmget(size {}, IPC_CREAT|IPC_EXCL|0600)", size),
      [size](key_t key) { return ::shmget(key, size, IPC_CREAT | IPC_EXCL | 0600); }, shmget_hint);
  return adopt_sysv_object(spec, dir, "shm", object, {{"size", std::to_string(size)}});
}

}  // namespace faultline
