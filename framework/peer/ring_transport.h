// RingTransport: frames through a shared memory segment (shm, mmap) holding two
// single-producer single-consumer byte rings: ring 0 carries the client's frames (send,
// request), ring 1 the server's (echo). Each record is a 4-byte length and a frame.
#pragma once

#include <functional>
#include <memory>

#include "ring_signal.h"
#include "transport.h"

namespace faultline::peer {

// A mapped segment and how to unmap it.
class SharedSegment final {
 public:
  SharedSegment(void* base, std::size_t size, std::function<void(void*, std::size_t)> unmap)
      : base_(base), size_(size), unmap_(std::move(unmap)) {}
  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;
  ~SharedSegment() { unmap_(base_, size_); }
  [[nodiscard]] std::uint8_t* base() const { return static_cast<std::uint8_t*>(base_); }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  void* base_;
  std::size_t size_;
  std::function<void(void*, std::size_t)> unmap_;
};

// Attaches a System V segment (shmat) / maps a POSIX shm object or file (mmap, MAP_SHARED).
[[nodiscard]] std::unique_ptr<SharedSegment> attach_sysv_segment(int id);
[[nodiscard]] std::unique_ptr<SharedSegment> map_shared_object(const std::string& name,
                                                               const std::string& path);

class RingTransport final : public Transport {
 public:
  // Throws ChannelFailure when the segment cannot hold a frame of `max_payload` bytes.
  RingTransport(std::unique_ptr<SharedSegment> segment, std::unique_ptr<RingSignal> signal,
                bool client, std::uint32_t max_payload);

  [[nodiscard]] IoStatus send(std::span<const std::uint8_t> frame, Deadline deadline) override;
  [[nodiscard]] Message receive(Deadline deadline) override;

  // Bytes the segment needs for rings that hold one frame of `max_payload` bytes.
  [[nodiscard]] static std::size_t segment_size_for(std::uint32_t max_payload);

 private:
  struct Ring {
    std::uint64_t* head;     // bytes ever written (the producer's)
    std::uint64_t* tail;     // bytes ever read (the consumer's)
    std::uint32_t* changes;  // advanced on every head or tail move: the futex word
    std::uint8_t* data;
  };
  [[nodiscard]] Ring ring(int index) const;
  void copy_in(const Ring& r, std::uint64_t at, const std::uint8_t* from, std::size_t n) const;
  void copy_out(const Ring& r, std::uint64_t at, std::uint8_t* to, std::size_t n) const;
  void advance(const Ring& r, std::uint64_t* counter, std::uint64_t to, int event);

  std::unique_ptr<SharedSegment> segment_;
  std::unique_ptr<RingSignal> signal_;
  int out_ring_;
  int in_ring_;
  std::size_t capacity_;
};

}  // namespace faultline::peer
