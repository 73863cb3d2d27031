// POSIX-named channel support; see posix_named_channel.h.
#include "channels/posix_named_channel.h"

#include "channels/ipc_names.h"
#include "channels/run_folder.h"

namespace faultline {

PosixNamedChannel::PosixNamedChannel(ChannelSpec spec, std::string kind, std::string name,
                                     std::map<std::string, std::string> extra)
    : Channel(std::move(spec)),
      kind_(std::move(kind)),
      name_(std::move(name)),
      extra_(std::move(extra)) {}

std::map<std::string, std::string> PosixNamedChannel::attributes() const {
  auto attrs = extra_;
  attrs["name"] = name_;
  return attrs;
}

void PosixNamedChannel::remove() noexcept {
  if (removed_) return;
  removed_ = true;
  try {
    (void)remove_recorded_object(kind_, name_);
  } catch (...) {
    // Only allocation can throw here; the run directory's destructor will try again.
  }
}

std::string reserve_posix_name(RunFolder& dir, std::string_view kind,
                               std::string_view channel_name) {
  std::string name = posix_ipc_name(channel_name);
  dir.record(kind, name);
  return name;
}

std::unique_ptr<PosixNamedChannel> adopt_posix_object(const ChannelSpec& spec, RunFolder&,
                                                      std::string kind, std::string name,
                                                      std::map<std::string, std::string> extra) {
  return std::make_unique<PosixNamedChannel>(spec, kind, name, std::move(extra));
}

}  // namespace faultline
