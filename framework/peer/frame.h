// The peer's frame: a 24-byte header (magic, sequence number, payload length, flags, a CRC32
// of the header and one of the payload) and a payload derived from (seed, sequence), so a
// receiver can check every message it gets and find the next frame in a damaged stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace faultline::peer {

inline constexpr std::uint32_t kFrameMagic = 0x31504c46;  // "FLP1" in memory order
inline constexpr std::size_t kHeaderSize = 24;
inline constexpr std::uint16_t kFlagEnd = 1;  // no payload: the sender has nothing more

struct FrameHeader {
  std::uint32_t seq = 0;
  std::uint32_t length = 0;  // payload bytes
  std::uint16_t flags = 0;
};

// The payload of frame `seq`: its size picked in [size_min, size_max] and its bytes, both
// from (seed, seq), so the two sides need no other agreement.
[[nodiscard]] std::vector<std::uint8_t> make_payload(std::uint64_t seed, std::uint32_t seq,
                                                     std::uint32_t size_min,
                                                     std::uint32_t size_max);

// Header and payload: CRC32 of header bytes 0..15 at 16, CRC32 of the payload at 20.
[[nodiscard]] std::vector<std::uint8_t> encode_frame(const FrameHeader& header,
                                                     std::span<const std::uint8_t> payload);

// Whether `bytes` starts with the frame magic (false when shorter than the magic).
[[nodiscard]] bool starts_with_magic(std::span<const std::uint8_t> bytes);

// The header when `bytes` starts with an intact header (magic and header CRC), else nullopt.
// A stream reader trusts the length only then, so a damaged length never makes it wait
// for bytes that will not come.
[[nodiscard]] std::optional<FrameHeader> check_header(std::span<const std::uint8_t> bytes);

// `bytes` is exactly one intact frame (header, length and payload CRC all agree).
[[nodiscard]] std::optional<FrameHeader> check_frame(std::span<const std::uint8_t> bytes);

}  // namespace faultline::peer
