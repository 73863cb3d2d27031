// StreamTransport: frames over a byte stream (pipe, FIFO, unix-stream, tcp). Short reads and
// writes are continued; a damaged stretch is reported once and the reader resynchronises on
// the next intact header.
#pragma once

#include <functional>

#include "transport.h"
#include "util/unique_fd.h"

namespace faultline::peer {

class StreamTransport final : public Transport {
 public:
  // Either may be invalid for a one-way channel; a socket comes as itself and a dup of it.
  // `max_payload` bounds what a header may announce.
  StreamTransport(UniqueFd in, UniqueFd out, std::uint32_t max_payload);

  [[nodiscard]] IoStatus send(std::span<const std::uint8_t> frame, Deadline deadline) override;
  [[nodiscard]] Message receive(Deadline deadline) override;
  void finish_sending() override;
  [[nodiscard]] bool message_based() const override { return false; }
  [[nodiscard]] std::uint64_t connections() const override { return reconnect_ ? connections_ : 0; }

  // A socket stream that ends early is replaced by `next` (the server's next accepted
  // connection, the client's new one; invalid when none came before the deadline) and the
  // exchange goes on. A client resends the frame whose answer it was waiting for; a server's
  // answer that went down with its connection is lost with it.
  enum class Side { server, client };
  void set_reconnect(Side side, std::function<UniqueFd(Deadline)> next);

 private:
  // receive() on the current connection.
  [[nodiscard]] Message receive_here(Deadline deadline);
  // Takes the next connection; false when none came.
  [[nodiscard]] bool switch_connection(Deadline deadline);
  // Reads until the buffer holds `size` bytes; never more, so a reader takes only its frames.
  [[nodiscard]] IoStatus fill(std::size_t size, Deadline deadline);
  // Drops the bytes before the first place the frame magic (or the start of it) appears.
  void skip_to_magic();
  // One read of whatever is there (up to 4 KiB), for skipping damage in bulk.
  [[nodiscard]] IoStatus read_some(Deadline deadline);
  // The receive() result when the stream ended or timed out with `buffer_` as it is.
  [[nodiscard]] Message ended(IoStatus status);

  UniqueFd in_;
  UniqueFd out_;
  std::uint32_t max_payload_;
  std::vector<std::uint8_t> buffer_;
  bool resyncing_ = false;  // inside a damaged stretch, already reported
  Side side_ = Side::server;
  std::function<UniqueFd(Deadline)> reconnect_;
  std::uint64_t connections_ = 1;
  std::vector<std::uint8_t> last_sent_;  // a client's last frame, resent after a reconnect
};

}  // namespace faultline::peer
