// Unix socket path channels; see unix_socket_channel.h.
#include "channels/unix_socket_channel.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "channels/channel_failure.h"
#include "channels/ipc_names.h"
#include "channels/socket_table.h"

namespace faultline {

UnixSocketChannel::UnixSocketChannel(ChannelSpec spec, std::filesystem::path path, int socket_type)
    : Channel(std::move(spec)), path_(std::move(path)), socket_type_(socket_type) {}

std::map<std::string, std::string> UnixSocketChannel::attributes() const {
  return {{"path", path_.string()}};
}

std::optional<bool> UnixSocketChannel::listening() const {
  return unix_socket_bound(path_, socket_type_, socket_type_ == SOCK_STREAM);
}

void UnixSocketChannel::remove() noexcept {
  struct stat st {};
  // Only a socket file: anything else at the path is not ours to delete.
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) (void)::unlink(path_.c_str());
}

std::unique_ptr<Channel> make_unix_socket_channel(const ChannelSpec& spec, RunFolder& dir,
                                                  int socket_type) {
  auto path = fresh_path_in(dir, spec.name, ".sock");
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;  // room for the NUL
  if (path.string().size() > kMaxPath) {
    throw_channel_failure(
        spec,
        fmt::format("the socket path {} is {} bytes, more than the {} a unix socket address "
                    "holds (sun_path)",
                    path.string(), path.string().size(), kMaxPath),
        "set TMPDIR to a shorter folder (e.g. TMPDIR=/tmp) or give the channel a shorter name");
  }
  return std::make_unique<UnixSocketChannel>(spec, path, socket_type);
}

}  // namespace faultline
