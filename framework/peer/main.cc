// faultline-peer: the built-in peer of scenarios (`peer:`), and the reference of robust IPC
// code. Exit status: 0 exchange done, 1 integrity violated, 2 bad arguments, 3 channel unusable.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <variant>

#include "exchange.h"
#include "last_words.h"
#include "open_transport.h"

namespace {

// The summary goes out with plain write(2), retried: a signal or a short write must not
// eat the line the runner reads.
void emit(int fd, const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace faultline::peer;
  auto parsed = parse_options(argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const PeerOptions& options = std::get<PeerOptions>(parsed);
  // A reader that went away must show as EPIPE, not kill the peer before it reports.
  ::signal(SIGPIPE, SIG_IGN);

  Deadline deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(options.timeout);
  Outcome outcome;
  outcome.summary.mode = options.mode;
  outcome.summary.type = options.type;
  // Stopped before the exchange ends (a service at the end of the run, anything at the
  // scenario's timeout), the peer still says how far it got.
  LastWords::arm(options.summary_fd);
  {
    Summary opening = outcome.summary;
    opening.error = "stopped by a signal while opening the channel";
    LastWords::publish(to_json_line(opening));
  }
  try {
    auto transport = open_transport(options, deadline);
    outcome = run_exchange(options, *transport, deadline);
  } catch (const ChannelFailure& e) {
    outcome.summary.error = e.what();
    outcome.exit_status = 3;
    std::cerr << "faultline-peer: " << e.what() << "\n";
  }
  if (!outcome.summary.error.empty() && outcome.exit_status != 3) {
    std::cerr << "faultline-peer: " << outcome.summary.error << "\n";
  }
  LastWords::disarm();
  emit(options.summary_fd, to_json_line(outcome.summary));
  return outcome.exit_status;
}
