/* The frame of faultline's built-in peer (docs/peer.md), which udp_client and
 * udp_client_naive send to a peer in echo mode: a 24-byte header with its own CRC32, then a
 * payload with another. One frame per datagram. */
#ifndef FAULTLINE_SCENARIOS_UDP_FRAME_H
#define FAULTLINE_SCENARIOS_UDP_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { FRAME_HEADER = 24, FRAME_MAX_PAYLOAD = 512 };

/* CRC32 with the zlib polynomial, bit by bit: short frames do not need a table. */
static inline uint32_t frame_crc32(const unsigned char* p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

/* Writes frame number seq with a payload of size bytes into out (FRAME_HEADER + size
 * bytes) and returns its length. Fields are in host byte order: both sides share a machine. */
static inline size_t frame_build(unsigned char* out, uint32_t seq, uint32_t size) {
  const uint32_t magic = 0x31504c46u; /* "FLP1" */
  const uint16_t flags = 0, reserved = 0;
  memcpy(out, &magic, 4);
  memcpy(out + 4, &seq, 4);
  memcpy(out + 8, &size, 4);
  memcpy(out + 12, &flags, 2);
  memcpy(out + 14, &reserved, 2);
  for (uint32_t i = 0; i < size; ++i) out[FRAME_HEADER + i] = (unsigned char)(seq * 31u + i);
  uint32_t header_crc = frame_crc32(out, 16);
  uint32_t payload_crc = frame_crc32(out + FRAME_HEADER, size);
  memcpy(out + 16, &header_crc, 4);
  memcpy(out + 20, &payload_crc, 4);
  return FRAME_HEADER + size;
}

#endif
