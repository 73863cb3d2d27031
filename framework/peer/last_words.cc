// LastWords; see last_words.h. The handler may run at any point of the exchange, so it only
// writes a line prepared earlier: two fixed buffers, the handler reads the one last
// completed, publish() fills the other and then switches.
#include "last_words.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace faultline::peer {
namespace {

constexpr int kStopSignals[] = {SIGTERM, SIGINT, SIGHUP};
constexpr std::size_t kLineMax = 4096;

struct Line {
  char text[kLineMax];
  std::size_t size;
};
Line g_lines[2];
std::atomic<int> g_current{-1};  // the buffer the handler writes, -1: nothing yet
int g_fd = -1;
std::function<std::string()> g_render;
bool g_changed = false;
std::chrono::steady_clock::time_point g_rendered;
// A peer busy inside its calls (a delay fault, a slow channel) may not wait for a long time:
// its last words are then renewed at this pace.
constexpr auto kRenewEvery = std::chrono::milliseconds(50);
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void leave_last_words(int sig) {
  int saved = errno;
  int i = g_current.load(std::memory_order_acquire);
  if (i >= 0) {
    const Line& l = g_lines[i];
    std::size_t done = 0;
    while (done < l.size) {
      ssize_t n = ::write(g_fd, l.text + done, l.size - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EINTR) {
        break;
      }
    }
  }
  // Die of the signal, as the runner that sent it expects; another stop signal pending now
  // must not write the line again.
  for (int s : kStopSignals) ::signal(s, SIG_DFL);
  ::raise(sig);
  errno = saved;
}

}  // namespace

void LastWords::arm(int fd) {
  g_fd = fd;
  struct sigaction sa {};
  sa.sa_handler = leave_last_words;
  ::sigemptyset(&sa.sa_mask);
  for (int sig : kStopSignals) ::sigaddset(&sa.sa_mask, sig);  // one handler at a time
  for (int sig : kStopSignals) ::sigaction(sig, &sa, nullptr);
}

void LastWords::publish(std::string_view line) {
  int next = g_current.load(std::memory_order_relaxed) == 0 ? 1 : 0;
  Line& l = g_lines[next];
  l.size = std::min(line.size(), kLineMax);
  std::memcpy(l.text, line.data(), l.size);
  if (l.size == kLineMax) l.text[kLineMax - 1] = '\n';
  g_current.store(next, std::memory_order_release);
}

void LastWords::set_progress(std::function<std::string()> render) {
  g_render = std::move(render);
  g_changed = true;
}

void LastWords::changed() {
  g_changed = true;
  if (std::chrono::steady_clock::now() - g_rendered >= kRenewEvery) before_block();
}

void LastWords::before_block() {
  if (!g_changed || !g_render) return;
  g_changed = false;
  g_rendered = std::chrono::steady_clock::now();
  publish(g_render());
}

void LastWords::disarm() {
  g_render = nullptr;
  for (int sig : kStopSignals) ::signal(sig, SIG_DFL);
}

}  // namespace faultline::peer
