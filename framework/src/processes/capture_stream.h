// How a process's stdout and stderr reach the runner: a pipe whose process end is read-write
// (as a terminal or systemd's journal socket is), or a pseudo-terminal for `stdio: pty`.
#pragma once

#include <cstdint>

#include "util/unique_fd.h"

namespace faultline {

struct CaptureStream {
  UniqueFd reader;  // the runner's end, non-blocking; end of data: read() 0 (pipe) or EIO (pty)
  UniqueFd writer;  // the process's end
  // The pipe the interposer knows the capture by (FL_FD_FILE, never `ipc`); 0/0 for a pty,
  // which is a character device and so class `file` anyway.
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
};

// A pipe whose process end is reopened O_RDWR through /proc/self/fd: glibc's perror() as the
// first output fdopen()s a dup of fd 2 with "w+" and, on a write-only fd, fails and sets
// errno to EINVAL, which a read-write end does not. The reader is read-only, so it still sees
// end of file once every process has closed its end; reopening /dev/stderr (/proc/self/fd/2)
// for writing reaches the same pipe, and O_TRUNC means nothing to a pipe. No file is made.
// Throws std::system_error.
[[nodiscard]] CaptureStream open_capture_pipe();

// A pseudo-terminal: `writer` is the slave (O_NOCTTY: it does not become the process's
// controlling terminal), 80x24, without the CR the line discipline adds before each LF.
// Throws std::system_error.
[[nodiscard]] CaptureStream open_capture_pty();

}  // namespace faultline
