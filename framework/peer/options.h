// The peer's command line: mode, channel type, one flag per channel attribute the runner
// exports, and the exchange (count, size, rate, timeout, what loss or damage is allowed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "faultline/duration.h"
#include "model/channel_type.h"
#include "model/peer_contract.h"

namespace faultline::peer {

using Mode = PeerMode;

// The exchange settings (count, size, rate, timeout, allow_loss, allow_corrupt, reconnect)
// are the peer contract's PeerExchange, as the command line gave them.
struct PeerOptions : PeerExchange {
  Mode mode = Mode::send;
  ChannelType type = ChannelType::pipe;

  // Channel attributes, as provisioned.
  std::string path;  // fifo, unix-stream, unix-dgram, mmap (file backing)
  std::string name;  // posix-mq, mmap (POSIX shm backing)
  // echo/request over a one-way type (fifo, posix-mq): the second channel, which carries the
  // server's answers; `path`/`name` carry the client's frames.
  std::string reply_path, reply_name;
  std::optional<int> key, id;  // msgqueue, shm
  std::string host = "127.0.0.1";
  int port = 0;                        // tcp, udp
  int in_fd = 0;                       // pipe: the read end
  int out_fd = 1;                      // pipe: the write end
  std::optional<int> sem_id, sem_key;  // shm/mmap: signal through this semaphore set
  int summary_fd = 1;

  // The exchange as the peer runs it: count and size with the peer's defaults filled in.
  std::uint32_t messages = 100;
  std::uint32_t size_min = 1;
  std::uint32_t size_max = 512;
  Duration idle = std::chrono::seconds(1);  // with allow_loss: end after this long without news
  std::uint64_t seed = 1;

  [[nodiscard]] bool sends_first() const { return mode == Mode::send || mode == Mode::request; }
};

// The options, or the exit status to leave with: 0 after --help, 2 after a usage error
// (already printed to stderr with a hint).
[[nodiscard]] std::variant<PeerOptions, int> parse_options(int argc, char** argv);

}  // namespace faultline::peer
