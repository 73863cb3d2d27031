// pipe: an unnamed pipe (pipe2, close-on-exec). The runner takes each end once and places it
// in the processes that use it; the channel closes whatever it still holds.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "channels/channel_failure.h"
#include "channels/mechanisms.h"

namespace faultline {
namespace {

class PipeChannel final : public Channel {
 public:
  PipeChannel(ChannelSpec spec, UniqueFd read_end, UniqueFd write_end)
      : Channel(std::move(spec)), read_(std::move(read_end)), write_(std::move(write_end)) {}
  ~PipeChannel() override { remove(); }

  [[nodiscard]] std::map<std::string, std::string> attributes() const override { return {}; }

  [[nodiscard]] UniqueFd take_pipe_end(bool write_end) override {
    return std::move(write_end ? write_ : read_);
  }

  // Both ends are one pipe inode; remembered because the ends are handed out.
  [[nodiscard]] std::optional<FileIdentity> identity() const override { return identity_; }

  void remove() noexcept override {
    read_.reset();
    write_.reset();
  }

 private:
  UniqueFd read_;
  UniqueFd write_;
  std::optional<FileIdentity> identity_ = [this]() -> std::optional<FileIdentity> {
    struct stat st;
    if (::fstat(read_.get(), &st) != 0) return std::nullopt;
    return FileIdentity{static_cast<std::uint64_t>(st.st_dev),
                        static_cast<std::uint64_t>(st.st_ino)};
  }();
};

}  // namespace

std::unique_ptr<Channel> make_pipe_channel(const ChannelSpec& spec) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    int err = errno;
    throw_call_failure(spec, "pipe2(O_CLOEXEC)", err,
                       err == EMFILE || err == ENFILE
                           ? "the runner is out of file descriptors (raise `ulimit -n`)"
                           : "");
  }
  return std::make_unique<PipeChannel>(spec, UniqueFd(fds[0]), UniqueFd(fds[1]));
}

}  // namespace faultline
