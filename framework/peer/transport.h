// Transport: one channel as the peer sees it, whatever the mechanism: whole frames out,
// whole frames (or the news that something arrived damaged) in.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "frame.h"
#include "robust_io.h"

namespace faultline::peer {

struct Message {
  enum class Kind { frame, corrupt, closed, timeout };
  Kind kind = Kind::timeout;
  FrameHeader header;               // Kind::frame
  std::vector<std::uint8_t> bytes;  // Kind::frame: the whole frame, as received
};

class Transport {
 public:
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  virtual ~Transport() = default;

  // Sends one whole frame. `closed` when the other side is gone, `timeout` at the deadline;
  // throws ChannelFailure when the channel broke in a way no retry fixes.
  [[nodiscard]] virtual IoStatus send(std::span<const std::uint8_t> frame, Deadline deadline) = 0;
  // The next frame; a message that fails its checks is reported as Kind::corrupt.
  [[nodiscard]] virtual Message receive(Deadline deadline) = 0;
  // The sender has nothing more to say (a stream shuts down its writing side).
  virtual void finish_sending() {}
  // Messages are whole and may be lost (datagrams, queues): losses are counted per message,
  // and the end marker is sent more than once.
  [[nodiscard]] virtual bool message_based() const { return true; }
  // Connections used, for a stream that reconnects; 0 otherwise.
  [[nodiscard]] virtual std::uint64_t connections() const { return 0; }

  [[nodiscard]] IoStats& stats() { return stats_; }
  // Something to release only after the channel is closed (a server's socket file).
  void keep_until_closed(std::shared_ptr<void> thing) { kept_.push_back(std::move(thing)); }

 protected:
  // For message-based transports: one received message, checked.
  [[nodiscard]] static Message classify(std::vector<std::uint8_t> bytes);
  IoStats stats_;

 private:
  std::vector<std::shared_ptr<void>> kept_;  // base members go after the derived ones' fds
};

}  // namespace faultline::peer
