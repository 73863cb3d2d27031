// The channels that are a file in the run directory (fifo, mmap on a file): the path is
// the attribute, unlink() removes it.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "channels/channel.h"

namespace faultline {

class PathChannel final : public Channel {
 public:
  // `extra` joins the path (e.g. size).
  PathChannel(ChannelSpec spec, std::filesystem::path path,
              std::map<std::string, std::string> extra = {});
  ~PathChannel() override { remove(); }

  [[nodiscard]] std::map<std::string, std::string> attributes() const override;
  void remove() noexcept override;

 private:
  std::filesystem::path path_;
  std::map<std::string, std::string> extra_;
  bool removed_ = false;
};

}  // namespace faultline
