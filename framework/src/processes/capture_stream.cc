// See capture_stream.h.
#include "processes/capture_stream.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace faultline {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

UniqueFd reopen(int fd, int flags) {
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  UniqueFd reopened(::open(path.c_str(), flags | O_CLOEXEC));
  if (!reopened) fail("cannot reopen an output pipe through /proc/self/fd");
  return reopened;
}

}  // namespace

CaptureStream open_capture_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) fail("cannot create an output pipe");
  UniqueFd read_end(p[0]);
  UniqueFd write_end(p[1]);
  CaptureStream s;
  // Opened anew rather than dup()ed: an open file description of its own, so that the
  // reader's O_NONBLOCK never shows on the process's end.
  s.writer = reopen(write_end.get(), O_RDWR);
  s.reader = reopen(read_end.get(), O_RDONLY | O_NONBLOCK);
  struct stat st {};
  if (::fstat(s.writer.get(), &st) != 0) fail("cannot examine an output pipe");
  s.dev = static_cast<std::uint64_t>(st.st_dev);
  s.ino = static_cast<std::uint64_t>(st.st_ino);
  return s;
}

CaptureStream open_capture_pty() {
  CaptureStream s;
  s.reader = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!s.reader) fail("cannot open a pseudo-terminal (posix_openpt)");
  if (::grantpt(s.reader.get()) != 0 || ::unlockpt(s.reader.get()) != 0)
    fail("cannot unlock a pseudo-terminal");
  char name[128];
  if (::ptsname_r(s.reader.get(), name, sizeof name) != 0) fail("cannot name a pseudo-terminal");
  s.writer = UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!s.writer) fail("cannot open a pseudo-terminal's slave");
  termios tio{};
  if (::tcgetattr(s.writer.get(), &tio) == 0) {
    // The capture shows what the program wrote, not "\r\n" for each line; no input comes, so
    // nothing is echoed either.
    tio.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
    tio.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(s.writer.get(), TCSANOW, &tio);
  }
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 80;
  ::ioctl(s.writer.get(), TIOCSWINSZ, &size);
  int flags = ::fcntl(s.reader.get(), F_GETFL);
  if (flags < 0 || ::fcntl(s.reader.get(), F_SETFL, flags | O_NONBLOCK) != 0)
    fail("cannot make a pseudo-terminal non-blocking");
  return s;
}

}  // namespace faultline
