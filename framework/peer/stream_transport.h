// StreamTransport: frames over a byte stream (pipe, FIFO, unix-stream, tcp). Short reads and
// writes are continued; a damaged stretch is reported once and the reader resynchronises on
// the next intact header.
#pragma once

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

 private:
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
};

}  // namespace faultline::peer
