// A fault as the user declares it (scenario `faults:` entry or `--fault SPEC`), validated
// against the call table (interpose/calls.def).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/diagnostic.h"
#include "faultline/duration.h"

namespace faultline {

enum class FaultAction {
  error,
  short_transfer,
  eof,
  delay,
  reset,
  corrupt,
  drop,
  signal,
  spurious
};
enum class FdClass { ipc, file, anon, any };

struct FaultSpec {
  std::string process;             // "" = every process
  std::vector<std::string> calls;  // names as written: base names or variant symbols
  FaultAction action = FaultAction::error;
  int error = 0;                  // errno for FaultAction::error
  std::uint64_t short_bytes = 0;  // FaultAction::short_transfer
  Duration delay_min{0};          // FaultAction::delay
  Duration delay_max{0};
  int signal = 0;        // FaultAction::signal
  int corrupt_bits = 1;  // FaultAction::corrupt
  std::optional<std::uint64_t> nth, after, every, times;
  std::optional<double> probability;
  std::string channel;  // "" = any
  FdClass fd = FdClass::ipc;
  // "" = any caller; a calling context INNER<CALLER<... names the frames outward from the
  // caller (site_context()).
  std::string site;
  bool force = false;
  bool optional = false;  // may never fire without failing the scenario
  SourceLocation where;  // where it was declared (scenario file or command line)

  // Canonical spec text, e.g. "server/accept:error=ECONNABORTED:nth=1".
  [[nodiscard]] std::string to_string() const;
};

// Builds a FaultSpec key by key, from YAML fields or from the `--fault` grammar, so both
// front ends share one validation. Never throws; each setter returns an error message or "".
class FaultSpecBuilder final {
 public:
  explicit FaultSpecBuilder(SourceLocation where);
  // Sets `call` (comma-separated or repeated), `process`, an action key or a trigger/match key.
  // Returns "" on success, else a message (with a hint after "\n" where one helps).
  // `at`, when given, is where the key was written: build() reports what it finds wrong with
  // this key (a kind or errno the call does not accept) there rather than at the spec.
  [[nodiscard]] std::string set(std::string_view key, std::string_view value,
                                std::optional<SourceLocation> at = std::nullopt);
  [[nodiscard]] std::string add_call(std::string_view call,
                                     std::optional<SourceLocation> at = std::nullopt);
  // Every key set() accepts, for "did you mean" and for front ends that check keys first.
  [[nodiscard]] static const std::vector<std::string_view>& keys();
  // Cross-field checks (exactly one action, kind allowed for every call, errno allowed
  // unless force, trigger ranges). Returns the spec or the diagnostics.
  [[nodiscard]] std::optional<FaultSpec> build(Diagnostics& out) const;

 private:
  FaultSpec spec_;
  int actions_ = 0;
  std::vector<std::string> pending_errors_;
  SourceLocation action_at_;              // where the (first) action key was written
  SourceLocation error_at_;               // where `error=` was written
  std::vector<SourceLocation> calls_at_;  // parallel to spec_.calls
  std::vector<std::string> keys_seen_;    // to reject a key given twice
};

// Parses `[PROCESS/]CALL[,CALL...](:KEY[=VALUE])*`. On error, appends diagnostics whose
// column points into `text` and returns nullopt.
[[nodiscard]] std::optional<FaultSpec> parse_fault_spec(std::string_view text, Diagnostics& out);

[[nodiscard]] std::string_view to_string(FaultAction a);

// The most frames a calling context (`site=A<B<...`, `faultline explore --context K`) names.
inline constexpr std::size_t kMaxContextFrames = 8;

// The frames of a site= value, innermost first: "xwrite<copy_body" is {"xwrite", "copy_body"},
// a plain site one frame. Each frame is what a site is (FUNCTION, FILE:LINE,
// MODULE+0xOFFSET). Empty frames are kept (site_context_problem reports them).
[[nodiscard]] std::vector<std::string_view> site_context(std::string_view site);
// "" when `site` is a well-formed site or calling context, else what is wrong and how to fix it.
[[nodiscard]] std::string site_context_problem(std::string_view site);

}  // namespace faultline
