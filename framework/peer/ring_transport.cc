// The shared memory rings; see ring_transport.h. Layout: two 64-byte control blocks
// (head u64, tail u64, changes u32), then the two data areas of `capacity` bytes each.
// A fresh segment is all zeros, which is two empty rings: neither side has to set it up.
#include "ring_transport.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "util/unique_fd.h"

namespace faultline::peer {
namespace {

constexpr std::size_t kControl = 64;

std::uint64_t load(std::uint64_t* at) {
  return std::atomic_ref<std::uint64_t>(*at).load(std::memory_order_acquire);
}

std::uint32_t load(std::uint32_t* at) {
  return std::atomic_ref<std::uint32_t>(*at).load(std::memory_order_acquire);
}

}  // namespace

std::unique_ptr<SharedSegment> attach_sysv_segment(int id) {
  shmid_ds ds{};
  if (::shmctl(id, IPC_STAT, &ds) != 0) throw ChannelFailure("shmctl(IPC_STAT)", errno);
  void* base = ::shmat(id, nullptr, 0);
  if (base == reinterpret_cast<void*>(-1)) throw ChannelFailure("shmat", errno);
  return std::make_unique<SharedSegment>(base, ds.shm_segsz,
                                         [](void* b, std::size_t) { (void)::shmdt(b); });
}

std::unique_ptr<SharedSegment> map_shared_object(const std::string& name, const std::string& path) {
  UniqueFd fd(name.empty() ? ::open(path.c_str(), O_RDWR | O_CLOEXEC)
                           : ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0));
  const std::string& what = name.empty() ? path : name;
  if (!fd) throw ChannelFailure((name.empty() ? "open(" : "shm_open(") + what + ")", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw ChannelFailure("fstat(" + what + ")", errno);
  auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) throw ChannelFailure(what + " is empty (is it the provisioned object?)", EINVAL);
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (base == MAP_FAILED) throw ChannelFailure("mmap(" + what + ")", errno);
  return std::make_unique<SharedSegment>(base, size,
                                         [](void* b, std::size_t n) { (void)::munmap(b, n); });
}

std::size_t RingTransport::segment_size_for(std::uint32_t max_payload) {
  return 2 * kControl + 2 * ((4 + kHeaderSize + max_payload + 7) & ~std::size_t{7});
}

RingTransport::RingTransport(std::unique_ptr<SharedSegment> segment,
                             std::unique_ptr<RingSignal> signal, bool client,
                             std::uint32_t max_payload)
    : segment_(std::move(segment)),
      signal_(std::move(signal)),
      out_ring_(client ? 0 : 1),
      in_ring_(client ? 1 : 0),
      capacity_(segment_->size() > 2 * kControl
                    ? ((segment_->size() - 2 * kControl) / 2) & ~std::size_t{7}
                    : 0) {
  if (capacity_ < 4 + kHeaderSize + max_payload) {
    throw ChannelFailure("a segment of " + std::to_string(segment_->size()) +
                             " bytes cannot hold a frame of " + std::to_string(max_payload) +
                             " bytes; give the channel `size: " +
                             std::to_string(segment_size_for(max_payload)) + "` or more",
                         EMSGSIZE);
  }
}

RingTransport::Ring RingTransport::ring(int index) const {
  std::uint8_t* control = segment_->base() + index * kControl;
  return Ring{reinterpret_cast<std::uint64_t*>(control),
              reinterpret_cast<std::uint64_t*>(control + 8),
              reinterpret_cast<std::uint32_t*>(control + 16),
              segment_->base() + 2 * kControl + index * capacity_};
}

void RingTransport::copy_in(const Ring& r, std::uint64_t at, const std::uint8_t* from,
                            std::size_t n) const {
  std::size_t offset = at % capacity_;
  std::size_t first = std::min(n, capacity_ - offset);
  std::memcpy(r.data + offset, from, first);
  std::memcpy(r.data, from + first, n - first);
}

void RingTransport::copy_out(const Ring& r, std::uint64_t at, std::uint8_t* to,
                             std::size_t n) const {
  std::size_t offset = at % capacity_;
  std::size_t first = std::min(n, capacity_ - offset);
  std::memcpy(to, r.data + offset, first);
  std::memcpy(to + first, r.data, n - first);
}

void RingTransport::advance(const Ring& r, std::uint64_t* counter, std::uint64_t to, int event) {
  std::atomic_ref<std::uint64_t>(*counter).store(to, std::memory_order_release);
  std::atomic_ref<std::uint32_t>(*r.changes).fetch_add(1, std::memory_order_acq_rel);
  signal_->notify(event, r.changes, stats_);
}

IoStatus RingTransport::send(std::span<const std::uint8_t> frame, Deadline deadline) {
  Ring r = ring(out_ring_);
  std::size_t need = 4 + frame.size();
  std::uint64_t head = load(r.head);
  for (;;) {
    std::uint32_t seen = load(r.changes);
    if (capacity_ - (head - load(r.tail)) >= need) break;
    if (Clock::now() >= deadline) return IoStatus::timeout;
    signal_->wait(2 * out_ring_ + 1, r.changes, seen, deadline, stats_);
  }
  auto length = static_cast<std::uint32_t>(frame.size());
  copy_in(r, head, reinterpret_cast<const std::uint8_t*>(&length), 4);
  copy_in(r, head + 4, frame.data(), frame.size());
  advance(r, r.head, head + need, 2 * out_ring_);
  return IoStatus::ok;
}

Message RingTransport::receive(Deadline deadline) {
  Ring r = ring(in_ring_);
  std::uint64_t tail = load(r.tail);
  std::uint64_t head = 0;
  for (;;) {
    std::uint32_t seen = load(r.changes);
    head = load(r.head);
    if (head != tail) break;
    if (Clock::now() >= deadline) return Message{};
    signal_->wait(2 * in_ring_, r.changes, seen, deadline, stats_);
  }
  std::uint32_t length = 0;
  copy_out(r, tail, reinterpret_cast<std::uint8_t*>(&length), 4);
  if (head - tail < 4 || length > head - tail - 4) {
    // Someone else wrote into the segment: drop what is there, report it once.
    advance(r, r.tail, head, 2 * in_ring_ + 1);
    return Message{Message::Kind::corrupt, {}, {}};
  }
  std::vector<std::uint8_t> frame(length);
  copy_out(r, tail + 4, frame.data(), length);
  advance(r, r.tail, tail + 4 + length, 2 * in_ring_ + 1);
  return classify(std::move(frame));
}

}  // namespace faultline::peer
