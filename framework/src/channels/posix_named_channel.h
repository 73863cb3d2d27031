// The channels that are POSIX IPC names (posix-mq, mmap on a shm object): recorded in the
// manifest by name, removed with mq_unlink / shm_unlink.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "channels/channel.h"

namespace faultline {

class PosixNamedChannel final : public Channel {
 public:
  // kind: "posix-mq" or "posix-shm" (the manifest's words). `extra` joins the name.
  PosixNamedChannel(ChannelSpec spec, std::string kind, std::string name,
                    std::map<std::string, std::string> extra);
  ~PosixNamedChannel() override { remove(); }

  [[nodiscard]] std::map<std::string, std::string> attributes() const override;
  void remove() noexcept override;

 private:
  std::string kind_;
  std::string name_;
  std::map<std::string, std::string> extra_;
  bool removed_ = false;
};

// A fresh name for a channel's object (posix_ipc_name), recorded in the manifest as `kind`
// before the object is made: a runner killed right after mq_open/shm_open leaves a record of
// it for `faultline gc` (a record of a name never made removes nothing).
[[nodiscard]] std::string reserve_posix_name(RunFolder& dir, std::string_view kind,
                                             std::string_view channel_name);

// Wraps the newly created object, whose name reserve_posix_name recorded, in a channel.
[[nodiscard]] std::unique_ptr<PosixNamedChannel> adopt_posix_object(
    const ChannelSpec& spec, RunFolder& dir, std::string kind, std::string name,
    std::map<std::string, std::string> extra = {});

}  // namespace faultline
