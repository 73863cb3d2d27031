// TapOutput; see tap_output.h.
#include "tap_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

namespace faultline::cli {

TapOutput::TapOutput(std::string target) : target_(std::move(target)) {
  if (target_ != "-") return;
  std::cout.flush();
  std::fflush(stdout);
  stdout_.reset(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3));
  if (!stdout_ || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    throw std::runtime_error(
        fmt::format("--tap -: cannot set stdout aside: {}", std::strerror(errno)));
}

TapOutput::~TapOutput() {
  if (!stdout_) return;
  std::cout.flush();
  std::fflush(stdout);
  (void)::dup2(stdout_.get(), STDOUT_FILENO);
}

void TapOutput::write(const std::string& document) {
  if (target_.empty()) return;
  if (!stdout_) {
    std::ofstream out(target_);
    out << document;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + target_);
    return;
  }
  std::size_t done = 0;
  while (done < document.size()) {
    const ssize_t n = ::write(stdout_.get(), document.data() + done, document.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw std::runtime_error(fmt::format("cannot write TAP to stdout: {}", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace faultline::cli
