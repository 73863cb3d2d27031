// mmap: a shared mapping's backing object of `size` bytes: a POSIX shm object (shm_open,
// backing "shm", the default) or a file in the run directory (backing "file").
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "channels/channel_failure.h"
#include "channels/ipc_names.h"
#include "channels/mechanisms.h"
#include "channels/path_channel.h"
#include "channels/posix_named_channel.h"

namespace faultline {
namespace {

constexpr std::uint64_t kDefaultSize = 4096;

std::string ftruncate_hint(int err) {
  return err == EFBIG || err == EINVAL || err == ENOSPC ? "give a smaller `size`" : "";
}

std::unique_ptr<Channel> make_shm_backed(const ChannelSpec& spec, RunFolder& dir,
                                         std::uint64_t size) {
  std::string name = reserve_posix_name(dir, "posix-shm", spec.name);
  UniqueFd fd(::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    int err = errno;
    throw_call_failure(spec, fmt::format("shm_open({}, O_CREAT|O_EXCL, 0600)", name), err,
                       err == ENOENT || err == ENOSYS ? "is /dev/shm mounted (tmpfs)?" : "");
  }
  auto channel = adopt_posix_object(spec, dir, "posix-shm", name, {{"size", std::to_string(size)}});
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    int err = errno;
    throw_call_failure(spec, fmt::format("ftruncate({}, {})", name, size), err,
                       ftruncate_hint(err));
  }
  return channel;
}

std::unique_ptr<Channel> make_file_backed(const ChannelSpec& spec, RunFolder& dir,
                                          std::uint64_t size) {
  auto path = fresh_path_in(dir, spec.name, ".mmap");
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) throw_call_failure(spec, fmt::format("open({}, O_CREAT|O_EXCL)", path.string()), errno);
  auto channel = std::make_unique<PathChannel>(
      spec, path, std::map<std::string, std::string>{{"size", std::to_string(size)}});
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    int err = errno;
    throw_call_failure(spec, fmt::format("ftruncate({}, {})", path.string(), size), err,
                       ftruncate_hint(err));
  }
  return channel;
}

}  // namespace

std::unique_ptr<Channel> make_mmap_channel(const ChannelSpec& spec, RunFolder& dir) {
  std::uint64_t size = spec.size ? spec.size : kDefaultSize;
  if (spec.backing.empty() || spec.backing == "shm") return make_shm_backed(spec, dir, size);
  if (spec.backing == "file") return make_file_backed(spec, dir, size);
  throw_channel_failure(spec, fmt::format("unknown backing '{}'", spec.backing),
                        "write `backing: shm` (a POSIX shm object) or `backing: file`");
}

}  // namespace faultline
