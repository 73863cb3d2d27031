// The System V channels (msgqueue, shm, semaphore): an object under a fresh ftok key of the
// run directory, recorded in its manifest, removed with IPC_RMID.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "channels/channel.h"

namespace faultline {

struct SysvObject {
  key_t key = 0;
  int id = -1;
};

class SysvChannel final : public Channel {
 public:
  // kind: "msg", "shm" or "sem" (the manifest's words). `extra` joins key, key_hex and id.
  SysvChannel(ChannelSpec spec, std::string kind, SysvObject object,
              std::map<std::string, std::string> extra);
  ~SysvChannel() override { remove(); }

  [[nodiscard]] std::map<std::string, std::string> attributes() const override;
  void remove() noexcept override;

  [[nodiscard]] int id() const { return object_.id; }
  // "ID KEY": the key lets removal tell our object from a later one that reused the id.
  [[nodiscard]] std::string manifest_entry() const;

 private:
  std::string kind_;
  SysvObject object_;
  std::map<std::string, std::string> extra_;
  bool removed_ = false;
};

// Calls `create(key)` (returns an id, or -1 with errno) with keys from ftok() on key files
// of `dir`. A key already in use (EEXIST: another run's file shares our inode's low 16 bits)
// is retried with another project id, then another key file. Other errors throw a
// ChannelError naming `call`, with `hint(errno)` appended.
// Each key is recorded ("KIND-key KEY", kind "msg", "shm" or "sem") before the object is
// made, and "KIND-taken KEY" when it belonged to someone else, so that gc finds an object a
// runner killed before adopt_sysv_object left behind.
[[nodiscard]] SysvObject create_sysv_object(const ChannelSpec& spec, RunFolder& dir,
                                            std::string_view kind, std::string_view call,
                                            const std::function<int(key_t)>& create,
                                            const std::function<std::string(int)>& hint);

// Wraps the new object in a channel and records it in the manifest; if recording fails, the
// object is removed again before the error propagates.
[[nodiscard]] std::unique_ptr<SysvChannel> adopt_sysv_object(
    const ChannelSpec& spec, RunFolder& dir, std::string kind, SysvObject object,
    std::map<std::string, std::string> extra = {});

}  // namespace faultline
