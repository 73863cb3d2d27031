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

// Wraps the newly created object in a channel and records it in the manifest; if recording
// fails, the object is removed again before the error propagates.
[[nodiscard]] std::unique_ptr<PosixNamedChannel> adopt_posix_object(
    const ChannelSpec& spec, RunFolder& dir, std::string kind, std::string name,
    std::map<std::string, std::string> extra = {});

}  // namespace faultline
