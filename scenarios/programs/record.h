/* The fixed-size record that record_writer sends and the record readers check: a sequence
 * number, a payload and a checksum over both, so a reader can tell a whole record from a
 * piece of one. */
#ifndef FAULTLINE_SCENARIOS_RECORD_H
#define FAULTLINE_SCENARIOS_RECORD_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { RECORD_SIZE = 64 };

struct record {
  uint32_t seq;
  uint32_t checksum;
  char payload[RECORD_SIZE - 8];
};
_Static_assert(sizeof(struct record) == RECORD_SIZE, "records are exactly RECORD_SIZE bytes");

/* FNV-1a over the sequence number and the payload. */
static inline uint32_t record_checksum(const struct record* r) {
  uint32_t h = 2166136261u;
  const unsigned char* p = (const unsigned char*)&r->seq;
  for (size_t i = 0; i < sizeof r->seq; ++i) h = (h ^ p[i]) * 16777619u;
  p = (const unsigned char*)r->payload;
  for (size_t i = 0; i < sizeof r->payload; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

static inline void record_fill(struct record* r, uint32_t seq) {
  memset(r, 0, sizeof *r);
  r->seq = seq;
  snprintf(r->payload, sizeof r->payload, "record %u of the showcase pipe", (unsigned)seq);
  r->checksum = record_checksum(r);
}

/* 1 when r is the intact record number seq. */
static inline int record_valid(const struct record* r, uint32_t seq) {
  return r->seq == seq && r->checksum == record_checksum(r);
}

#endif
