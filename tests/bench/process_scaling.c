/* What a second core gives this machine, apart from faultline: the throughput of two workers
 * at once over one worker, for a CPU loop, for fork + _exit + waitpid, and for posix_spawn of
 * /bin/true + waitpid (exec, the dynamic loader, exit: what a scenario's processes cost).
 * `run -j 2` can scale no better than process creation does here (docs/performance.md,
 * "Figures: -j"). Rounds interleaved; prints each round's ratio and the median. Reports;
 * asserts nothing.
 *
 *   bench_process_scaling [ROUNDS]      (default 5)
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void cpu_loop(void) {
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < 300000000UL; ++i) x += i;
}

static void fork_loop(void) {
  for (int i = 0; i < 1500; ++i) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    if (p > 0) waitpid(p, NULL, 0);
  }
}

static void spawn_loop(void) {
  char* argv[] = {"/bin/true", NULL};
  for (int i = 0; i < 300; ++i) {
    pid_t p;
    if (posix_spawn(&p, "/bin/true", NULL, NULL, argv, environ) == 0) waitpid(p, NULL, 0);
  }
}

/* Wall time of `workers` processes each running `work` once, all at once. */
static double run_workers(void (*work)(void), int workers) {
  double start = now_s();
  for (int w = 0; w < workers; ++w) {
    pid_t p = fork();
    if (p == 0) {
      work();
      _exit(0);
    }
  }
  while (wait(NULL) > 0) {
  }
  return now_s() - start;
}

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 5;
  if (rounds < 1 || rounds > 100) {
    fprintf(stderr, "usage: bench_process_scaling [ROUNDS 1-100]\n");
    return 2;
  }
  struct {
    const char* name;
    void (*work)(void);
  } loads[] = {{"cpu loop", cpu_loop},
               {"fork + _exit + waitpid", fork_loop},
               {"posix_spawn /bin/true + waitpid", spawn_loop}};
  printf("throughput of 2 workers at once over 1 worker, %d rounds interleaved, %ld CPUs online\n",
         rounds, sysconf(_SC_NPROCESSORS_ONLN));
  for (size_t l = 0; l < sizeof loads / sizeof loads[0]; ++l) {
    double ratios[100];
    printf("%-34s", loads[l].name);
    for (int r = 0; r < rounds; ++r) {
      /* The order alternates, so that neither width always runs first. */
      double one, two;
      if (r % 2 == 0) {
        one = run_workers(loads[l].work, 1);
        two = run_workers(loads[l].work, 2);
      } else {
        two = run_workers(loads[l].work, 2);
        one = run_workers(loads[l].work, 1);
      }
      ratios[r] = 2.0 * one / two;
      printf(" %.2f", ratios[r]);
      fflush(stdout);
    }
    qsort(ratios, (size_t)rounds, sizeof ratios[0], by_value);
    printf("   median %.2fx\n", ratios[rounds / 2]);
  }
  return 0;
}
