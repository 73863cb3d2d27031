// Frame encoding and checks; see frame.h. Host byte order: both sides run on one machine.
#include "frame.h"

#include <boost/crc.hpp>

#include <cstring>

namespace faultline::peer {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

template <typename T>
void put(std::uint8_t* at, T value) {
  std::memcpy(at, &value, sizeof value);
}

template <typename T>
T get(const std::uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

}  // namespace

std::vector<std::uint8_t> make_payload(std::uint64_t seed, std::uint32_t seq,
                                       std::uint32_t size_min, std::uint32_t size_max) {
  std::uint64_t state = seed * 0x100000001b3ULL ^ (static_cast<std::uint64_t>(seq) << 1);
  std::uint64_t span = static_cast<std::uint64_t>(size_max) - size_min + 1;
  std::size_t size = size_min + static_cast<std::size_t>(splitmix64(state) % span);
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; i += 8) {
    std::uint64_t word = splitmix64(state);
    std::memcpy(out.data() + i, &word, std::min<std::size_t>(8, size - i));
  }
  return out;
}

std::vector<std::uint8_t> encode_frame(const FrameHeader& header,
                                       std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out(kHeaderSize + payload.size());
  put(out.data(), kFrameMagic);
  put(out.data() + 4, header.seq);
  put(out.data() + 8, static_cast<std::uint32_t>(payload.size()));
  put(out.data() + 12, header.flags);
  put(out.data() + 14, std::uint16_t{0});
  // An empty payload's data() may be null, which memcpy may not be given even for 0 bytes.
  if (!payload.empty()) std::memcpy(out.data() + kHeaderSize, payload.data(), payload.size());
  put(out.data() + 16, crc32({out.data(), 16}));
  put(out.data() + 20, crc32(payload));
  return out;
}

bool starts_with_magic(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && get<std::uint32_t>(bytes.data()) == kFrameMagic;
}

std::optional<FrameHeader> check_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderSize || !starts_with_magic(bytes)) return std::nullopt;
  if (crc32(bytes.first(16)) != get<std::uint32_t>(bytes.data() + 16)) return std::nullopt;
  if (get<std::uint16_t>(bytes.data() + 14) != 0) return std::nullopt;
  return FrameHeader{get<std::uint32_t>(bytes.data() + 4), get<std::uint32_t>(bytes.data() + 8),
                     get<std::uint16_t>(bytes.data() + 12)};
}

std::optional<FrameHeader> check_frame(std::span<const std::uint8_t> bytes) {
  auto header = check_header(bytes);
  if (!header || bytes.size() != kHeaderSize + header->length) return std::nullopt;
  if (crc32(bytes.subspan(kHeaderSize)) != get<std::uint32_t>(bytes.data() + 20)) {
    return std::nullopt;
  }
  return header;
}

}  // namespace faultline::peer
