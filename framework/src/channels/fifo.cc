// fifo: a named pipe (mkfifo, 0600) in the run directory, removed with the folder.
#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "channels/channel_failure.h"
#include "channels/ipc_names.h"
#include "channels/mechanisms.h"
#include "channels/path_channel.h"

namespace faultline {

std::unique_ptr<Channel> make_fifo_channel(const ChannelSpec& spec, RunFolder& dir) {
  auto path = fresh_path_in(dir, spec.name, ".fifo");
  if (::mkfifo(path.c_str(), 0600) != 0) {
    int err = errno;
    throw_call_failure(
        spec, fmt::format("mkfifo({})", path.string()), err,
        err == ENOSPC || err == EROFS ? "set TMPDIR to a writable folder with space" : "");
  }
  return std::make_unique<PathChannel>(spec, path);
}

}  // namespace faultline
