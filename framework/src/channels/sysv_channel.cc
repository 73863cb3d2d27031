// System V channel support; see sysv_channel.h.
#include "channels/sysv_channel.h"

#include <sys/ipc.h>

#include <cerrno>

#include <fmt/format.h>

#include "channels/channel_failure.h"
#include "channels/run_folder.h"

namespace faultline {
namespace {

constexpr int kKeyFiles = 4;
constexpr int kProjectIdsPerFile = 8;
// Project ids stay below 128 so keys are positive and print the same in every language.
constexpr int kFirstProjectId = 'F';

}  // namespace

SysvChannel::SysvChannel(ChannelSpec spec, std::string kind, SysvObject object,
                         std::map<std::string, std::string> extra)
    : Channel(std::move(spec)), kind_(std::move(kind)), object_(object), extra_(std::move(extra)) {}

std::map<std::string, std::string> SysvChannel::attributes() const {
  auto attrs = extra_;
  attrs["key"] = std::to_string(object_.key);
  attrs["key_hex"] = fmt::format("{:#010x}", static_cast<unsigned>(object_.key));
  attrs["id"] = std::to_string(object_.id);
  return attrs;
}

std::string SysvChannel::manifest_entry() const {
  return fmt::format("{} {}", object_.id, object_.key);
}

void SysvChannel::remove() noexcept {
  if (removed_) return;
  removed_ = true;
  try {
    (void)remove_recorded_object(kind_, manifest_entry());
  } catch (...) {
    // Only allocation can throw here; the run directory's destructor will try again.
  }
}

SysvObject create_sysv_object(const ChannelSpec& spec, RunFolder& dir, std::string_view kind,
                              std::string_view call, const std::function<int(key_t)>& create,
                              const std::function<std::string(int)>& hint) {
  for (int file = 0; file < kKeyFiles; ++file) {
    auto key_file = dir.make_key_file(spec.name);
    for (int n = 0; n < kProjectIdsPerFile; ++n) {
      int project = (kFirstProjectId - 1 + n + file * kProjectIdsPerFile) % 127 + 1;
      key_t key = ::ftok(key_file.c_str(), project);
      if (key == -1) {
        int err = errno;
        throw_call_failure(spec, fmt::format("ftok({}, {})", key_file.string(), project), err);
      }
      dir.record(fmt::format("{}-key", kind), std::to_string(key));
      int id = create(key);
      if (id >= 0) return {key, id};
      int err = errno;
      if (err != EEXIST) throw_call_failure(spec, call, err, hint(err));
      dir.record(fmt::format("{}-taken", kind), std::to_string(key));
    }
  }
  throw_channel_failure(
      spec, fmt::format("{} kept failing with EEXIST: every ftok key tried is taken", call),
      "remove stale objects with `faultline gc` or `ipcrm`, then retry");
}

std::unique_ptr<SysvChannel> adopt_sysv_object(const ChannelSpec& spec, RunFolder& dir,
                                               std::string kind, SysvObject object,
                                               std::map<std::string, std::string> extra) {
  auto channel = std::make_unique<SysvChannel>(spec, kind, object, std::move(extra));
  dir.record(kind, channel->manifest_entry());
  return channel;
}

}  // namespace faultline
