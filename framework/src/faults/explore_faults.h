// Which faults a call can really suffer at a site the recording saw, and how correct code is
// expected to take each: `faultline explore`'s catalogue. One source of truth: the
// transient/hard columns of interpose/calls.def and the state the recording saw there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "faultline/run_result.h"

namespace faultline {

// transient: correct code recovers and the scenario's expectations still hold (EINTR,
// EAGAIN, a short transfer, spurious readiness, ECONNABORTED/EMFILE on accept, a dropped
// datagram). hard: correct code may give up, cleanly (ENOMEM, EACCES, EIO, a reset, an end
// of file, the death of the process).
enum class FaultClass { transient, hard };

// realistic: what the kernel returns for that call in the state the recording saw; all:
// every errno its man page lists.
enum class ErrnoSet { realistic, all };

struct CandidateFault {
  std::string kind;    // error, short, eof, reset, drop, spurious, crash (`--kinds` filters)
  std::string action;  // the spec's action: "error=EINTR", "short=1", "eof", "signal=SIGKILL"
  FaultClass cls = FaultClass::hard;
};

// In a stable order (the calls.def order of errnos, then the other kinds).
// realistic: the call's transient and hard errnos (calls.def), EINTR only where
// site.eintr_realistic, the would-block errnos (EAGAIN, ENOMSG, EINPROGRESS) only where
// site.eagain_realistic, ECONNRESET/ETIMEDOUT not on a pipe or datagram shape. all: every errno
// of the errnos column (EAGAIN and EWOULDBLOCK, one value, once), transient when the transient
// column lists it. Both then add the call's other kinds possible on the shape: short=1
// (transient, where site.short_realistic), eof (hard, pipe and stream), reset (hard, stream),
// drop (transient, datagram sockets and message queues), spurious (transient), and last the
// crash signal=SIGKILL (hard, every call). A seccomp site gets errors and the crash only, and
// not the errors that backend cannot inject as the kernel returns them (close's, shmdt's,
// connect's EINTR/EINPROGRESS/EALREADY/EISCONN: docs/seccomp.md). Unknown call: empty.
[[nodiscard]] std::vector<CandidateFault> candidate_faults(const RecordedCall& site,
                                                           ErrnoSet set);

// The class of an action on a call symbol (`action` as in CandidateFault::action).
[[nodiscard]] FaultClass fault_class(std::string_view call, std::string_view action);

[[nodiscard]] std::string_view to_string(FaultClass c);

// RecordedCall::shape <-> enum fl_shape (realism.h): "unknown", "pipe", "stream", "message",
// "record", "anon", "regular", "other" (a POSIX message queue, a device). An unknown name
// (also "") is FL_SHAPE_UNKNOWN: it keeps a connection's errnos, and gets no eof, reset or
// drop (a fd call must say its shape for those; System V queues need none).
[[nodiscard]] std::string_view shape_name(unsigned shape);
[[nodiscard]] unsigned shape_from_name(std::string_view name);

}  // namespace faultline
