// Helpers of the peer tests: faultline-peer processes started side by side (optionally under
// the interposer with a control block), and the channels they talk over, each created here
// and removed on destruction.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/fault_spec.h"
#include "faults/control_block.h"
#include "support.h"

namespace faultline::test {

// A fresh folder for FIFOs, sockets and outputs (support.h).
using PeerScratch = TempDir;

// One IPC object for a pair of peers, and the flags that name it.
class PeerChannel {
 public:
  PeerChannel() = default;
  PeerChannel(const PeerChannel&) = delete;
  PeerChannel& operator=(const PeerChannel&) = delete;
  virtual ~PeerChannel() = default;
  // --type X and the attribute flags, for the server side (recv, echo) and the client.
  [[nodiscard]] virtual std::vector<std::string> server_args() const { return args_; }
  [[nodiscard]] virtual std::vector<std::string> client_args() const { return args_; }
  // fds handed to each side (child fd number -> fd in this process).
  [[nodiscard]] virtual std::vector<std::pair<int, int>> server_fds() const { return {}; }
  [[nodiscard]] virtual std::vector<std::pair<int, int>> client_fds() const { return {}; }
  // Waits until the server can be sent to (udp: its port is bound); others need nothing.
  virtual void wait_for_server() const {}
  // After the server is started: closes this process' copies of fds the peers now hold.
  virtual void release_server_fds() {}
  virtual void release_client_fds() {}

 protected:
  std::vector<std::string> args_;
};

// type: pipe, fifo, msgqueue, posix-mq, shm, shm+sem, mmap, mmap+sem, unix-stream,
// unix-dgram, tcp, udp. `two_way` makes a pipe pair for echo/request.
[[nodiscard]] std::unique_ptr<PeerChannel> make_peer_channel(const std::string& type,
                                                             const PeerScratch& dir,
                                                             bool two_way = false);

struct PeerResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json summary;  // the last line of stdout, parsed; null when it is not JSON
};

// Faults applied to the peers, which run as processes "server" and "client".
class PeerFaults final {
 public:
  PeerFaults(const PeerScratch& dir, const std::vector<std::string>& specs, std::uint64_t seed = 1);
  [[nodiscard]] std::vector<std::string> env(const std::string& process) const;
  [[nodiscard]] ControlBlock& control() { return control_; }

 private:
  ControlBlock control_;
};

struct PeerPair {
  PeerResult server;
  PeerResult client;
};

// Starts the server side (`server_mode`) and then the client side with the same exchange
// flags, waits for both. `faults` may be null.
[[nodiscard]] PeerPair run_peer_pair(PeerChannel& channel, const std::string& server_mode,
                                     const std::string& client_mode,
                                     const std::vector<std::string>& exchange,
                                     const PeerFaults* faults = nullptr);

// One peer alone (for argument errors and unusable channels).
[[nodiscard]] PeerResult run_peer(const std::vector<std::string>& args);

}  // namespace faultline::test
