/* shard_env_guard: fails when a CI engine's sharding variable reached it, else runs
 * PROGRAM ARG... in its place. The processes of tests/explore/scenarios/shard_env.yaml start
 * through it: `faultline explore` reads those variables to pick its shard and must remove them
 * from the environment of the programs under test (a GoogleTest binary would shard itself).
 *
 * Usage: shard_env_guard PROGRAM [ARG...]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char* const kShardVariables[] = {
    "TEST_SHARD_INDEX",  "TEST_TOTAL_SHARDS",  "TEST_SHARD_STATUS_FILE",
    "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "GTEST_SHARD_STATUS_FILE",
    "CI_NODE_INDEX",     "CI_NODE_TOTAL",      "JOB_COMPLETION_INDEX"};

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: shard_env_guard PROGRAM [ARG...]\n");
    return 2;
  }
  int found = 0;
  for (size_t i = 0; i < sizeof kShardVariables / sizeof kShardVariables[0]; ++i) {
    const char* value = getenv(kShardVariables[i]);
    if (value) {
      fprintf(stderr, "shard_env_guard: %s=%s reached the program under test\n", kShardVariables[i],
              value);
      found = 1;
    }
  }
  if (found) return 1;
  execv(argv[1], argv + 1);
  perror(argv[1]);
  return 127;
}
