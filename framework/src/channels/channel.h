// Channel: one provisioned IPC object of a scenario. Provisioned before any process starts,
// removed when the Channel is destroyed (whatever happened to the processes).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faultline/scenario.h"
#include "util/unique_fd.h"

namespace faultline {

class RunFolder;

// The file an fd on a channel refers to, as fstat(2) reports it.
struct FileIdentity {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
};

class ChannelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ChannelError(const std::string& what, bool shared_limit)
      : std::runtime_error(what), shared_limit_(shared_limit) {}
  // A per-user or system-wide limit other runs share was reached (RLIMIT_MSGQUEUE, msgmni,
  // ...): the same provisioning may succeed once they end.
  [[nodiscard]] bool shared_limit() const { return shared_limit_; }

 private:
  bool shared_limit_ = false;
};

class Channel {
 public:
  explicit Channel(ChannelSpec spec) : spec_(std::move(spec)) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  virtual ~Channel() = default;  // implementations remove their object here (idempotent)

  [[nodiscard]] const ChannelSpec& spec() const { return spec_; }

  // What processes see, by attribute name: path, key, id, size, count, name, host, port.
  // Substituted as ${NAME.ATTR} and exported as FAULTLINE_CH_<NAME>_<ATTR>.
  [[nodiscard]] virtual std::map<std::string, std::string> attributes() const = 0;

  // pipe only: hands over one end (the runner gives it to the processes that use it and
  // closes it once they all started). Empty for other types or when already taken.
  [[nodiscard]] virtual UniqueFd take_pipe_end(bool /*write_end*/) { return {}; }

  // For `ready: { listening: NAME }`. nullopt: this type cannot be listened on
  // (the loader rejects that); otherwise whether some process has bound / listens now.
  [[nodiscard]] virtual std::optional<bool> listening() const { return std::nullopt; }

  // The file every fd on this channel refers to (pipe, FIFO, mapped file, POSIX shm or mq
  // object), for the interposer's channel= attribution; nullopt for sockets (told apart by
  // address) and System V objects (by id and key).
  [[nodiscard]] virtual std::optional<FileIdentity> identity() const;

  // Removes the object now (also done by the destructor). Never throws.
  virtual void remove() noexcept = 0;

 private:
  ChannelSpec spec_;
};

// Creates the object for `spec` inside `dir` (objects 0600, keys from ftok on files of `dir`),
// and records it in the directory's manifest so `faultline gc` can remove it after a crash.
// Throws ChannelError with a message that says what failed and why.
[[nodiscard]] std::unique_ptr<Channel> provision_channel(const ChannelSpec& spec, RunFolder& dir);

// The attribute names a channel of this spec will have (what attributes() returns once it is
// provisioned), for checking ${NAME.ATTR} before anything is provisioned.
[[nodiscard]] std::vector<std::string> channel_attribute_names(const ChannelSpec& spec);

}  // namespace faultline
