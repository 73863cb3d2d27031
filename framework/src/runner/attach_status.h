// AttachStatus: where processes that cannot attach to the control block say so. An abstract
// Unix datagram socket (no file, so no permission a privilege drop could take away) that a
// thread drains for the whole run; the interposer sends one struct fl_attach_failure per
// process that runs without fault injection (docs/how-it-works.md).
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/unique_fd.h"

namespace faultline {

struct AttachFailure {
  pid_t pid = 0;
  pid_t ppid = 0;
  unsigned uid = 0;
  int fd = -1;          // FAULTLINE_CONTROL_FD it was given, -1 when none
  int fd_errno = 0;     // EBADF: that fd was closed; EINVAL: it was another file
  int path_errno = 0;   // why FAULTLINE_CONTROL could not be opened (EACCES)
  unsigned reason = 0;  // enum fl_attach_reason
  std::string process;  // FAULTLINE_PROCESS
  std::string comm;     // the program's name
  std::string exe;      // its path, "" when unknown
};

class AttachStatus final {
 public:
  // Binds "@faultline-status-RANDOM"; throws std::system_error when it cannot.
  AttachStatus();
  AttachStatus(const AttachStatus&) = delete;
  AttachStatus& operator=(const AttachStatus&) = delete;
  ~AttachStatus();

  // FAULTLINE_STATUS for the processes: "@", the abstract name, "#" and the token.
  [[nodiscard]] const std::string& address() const { return address_; }
  // Stops the thread, reads what is still queued and returns every failure received.
  [[nodiscard]] std::vector<AttachFailure> finish();

 private:
  void drain();
  void run();
  std::string token_;  // FL_STATUS_TOKEN_LEN random hex digits
  std::string address_;
  UniqueFd socket_;
  UniqueFd stop_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<AttachFailure> failures_;
};

// "pid 123 (cat, uid 65534)" and why it could not attach, for the report.
[[nodiscard]] std::string describe(const AttachFailure& f);

}  // namespace faultline
