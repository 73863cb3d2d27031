/* Preloaded into faultline itself: its constructor runs before the program's own code and
 * says whether SIGTERM and SIGINT are already blocked there. */
#include <signal.h>
#include <unistd.h>

__attribute__((constructor)) static void report_mask(void) {
  sigset_t mask;
  sigprocmask(SIG_BLOCK, NULL, &mask);
  static const char blocked[] = "mask_probe: stop signals blocked\n";
  static const char open[] = "mask_probe: stop signals not blocked\n";
  if (sigismember(&mask, SIGTERM) == 1 && sigismember(&mask, SIGINT) == 1)
    (void)!write(2, blocked, sizeof blocked - 1);
  else
    (void)!write(2, open, sizeof open - 1);
}
