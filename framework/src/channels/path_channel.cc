// File channels; see path_channel.h.
#include "channels/path_channel.h"

#include <unistd.h>

namespace faultline {

PathChannel::PathChannel(ChannelSpec spec, std::filesystem::path path,
                         std::map<std::string, std::string> extra)
    : Channel(std::move(spec)), path_(std::move(path)), extra_(std::move(extra)) {}

std::map<std::string, std::string> PathChannel::attributes() const {
  auto attrs = extra_;
  attrs["path"] = path_.string();
  return attrs;
}

void PathChannel::remove() noexcept {
  if (removed_) return;
  removed_ = true;
  (void)::unlink(path_.c_str());
}

}  // namespace faultline
