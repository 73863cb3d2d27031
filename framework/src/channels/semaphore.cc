// semaphore: a System V semaphore set (semget under an ftok key), every value 0 at the
// start, whatever the kernel's default; removed with semctl IPC_RMID.
#include <sys/sem.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "channels/channel_failure.h"
#include "channels/mechanisms.h"
#include "channels/sysv_channel.h"

namespace faultline {
namespace {

constexpr std::uint32_t kDefaultCount = 1;

union SemctlArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
};

std::string semget_hint(int err) {
  switch (err) {
    case EINVAL:
      return "the count is above the per-set limit (SEMMSL, the first number in "
             "/proc/sys/kernel/sem); give a smaller `count`";
    case ENOSPC:
      return "the system limit of semaphore sets or semaphores is reached (SEMMNI, SEMMNS in "
             "/proc/sys/kernel/sem)";
    case ENOMEM:
      return "the kernel is out of memory for a new semaphore set";
    default:
      return {};
  }
}

}  // namespace

std::unique_ptr<Channel> make_semaphore_channel(const ChannelSpec& spec, RunFolder& dir) {
  std::uint32_t count = spec.count ? spec.count : kDefaultCount;
  auto object = create_sysv_object(
      spec, dir, "sem", fmt::format("semget(count {}, IPC_CREAT|IPC_EXCL|0600)", count),
      [count](key_t key) {
        return ::semget(key, static_cast<int>(count), IPC_CREAT | IPC_EXCL | 0600);
      },
      semget_hint);
  auto channel = adopt_sysv_object(spec, dir, "sem", object, {{"count", std::to_string(count)}});
  std::vector<unsigned short> zeros(count, 0);
  SemctlArg arg{};
  arg.array = zeros.data();
  if (::semctl(object.id, 0, SETALL, arg) != 0) {
    throw_call_failure(spec, "semctl(SETALL)", errno);
  }
  return channel;
}

}  // namespace faultline
