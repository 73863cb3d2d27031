// How faults reach a process: preload, seccomp or both, as siblings of one base. Each backend
// owns its decisions for a process — LD_PRELOAD, the control file as inherited descriptor, the
// seccomp filter, the faults it cannot inject — so that the runner asks and never edits strings.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/fault_spec.h"
#include "faultline/scenario.h"
#include "processes/supervisor.h"
#include "util/unique_fd.h"

struct fl_control;

namespace faultline {

// A process's environment being built, name -> value.
using Environment = std::map<std::string, std::string>;

// What the backends of one run share: the interposer, the control file and, built on first use,
// the seccomp filter of the run's armed calls.
class BackendResources final {
 public:
  BackendResources(std::filesystem::path interposer, int control_fd,
                   std::shared_ptr<UniqueFd> control_file, fl_control* control);
  [[nodiscard]] const std::filesystem::path& interposer() const { return interposer_; }
  [[nodiscard]] int control_fd() const { return control_fd_; }
  [[nodiscard]] const std::shared_ptr<UniqueFd>& control_file() const { return control_file_; }
  [[nodiscard]] fl_control* control() const { return control_; }
  // Built once, from the control block as compiled (recording arms every call).
  [[nodiscard]] const std::shared_ptr<const seccomp::FilterProgram>& seccomp_filter();

 private:
  std::filesystem::path interposer_;
  int control_fd_ = -1;
  std::shared_ptr<UniqueFd> control_file_;
  fl_control* control_ = nullptr;
  std::shared_ptr<const seccomp::FilterProgram> filter_;
};

class InjectionBackend {
 public:
  virtual ~InjectionBackend() = default;
  InjectionBackend(const InjectionBackend&) = delete;
  InjectionBackend& operator=(const InjectionBackend&) = delete;

  [[nodiscard]] virtual Backend kind() const = 0;
  // Messages for the faults meant for `process` that this backend cannot inject; the first
  // one is why the scenario cannot start. Empty: all of them work.
  [[nodiscard]] virtual std::vector<std::string> cannot_inject(const std::vector<FaultSpec>& faults,
                                                               std::string_view process) const = 0;
  // The process's LD_PRELOAD, from the run's environment (which holds the runner's own).
  virtual void compose_environment(Environment& env) const = 0;
  // What the process inherits besides its environment: the control file as a descriptor,
  // the seccomp filter installed before exec.
  virtual void equip(LaunchPlan& plan) const = 0;

 protected:
  InjectionBackend() = default;
};

// LD_PRELOAD of the interposer alone (the default).
class PreloadBackend final : public InjectionBackend {
 public:
  explicit PreloadBackend(BackendResources& resources) : resources_(resources) {}
  [[nodiscard]] Backend kind() const override { return Backend::preload; }
  [[nodiscard]] std::vector<std::string> cannot_inject(const std::vector<FaultSpec>& faults,
                                                       std::string_view process) const override;
  void compose_environment(Environment& env) const override;
  void equip(LaunchPlan& plan) const override;

 private:
  BackendResources& resources_;
};

// A seccomp user-notification filter and the runner's supervisor, without the interposer (it
// would decide the same calls a second time): docs/seccomp.md.
class SeccompBackend final : public InjectionBackend {
 public:
  explicit SeccompBackend(BackendResources& resources) : resources_(resources) {}
  [[nodiscard]] Backend kind() const override { return Backend::seccomp; }
  [[nodiscard]] std::vector<std::string> cannot_inject(const std::vector<FaultSpec>& faults,
                                                       std::string_view process) const override;
  void compose_environment(Environment& env) const override;
  void equip(LaunchPlan& plan) const override;

 private:
  BackendResources& resources_;
};

// The interposer and the filter: the supervisor passes the calls of processes the
// interposer is in, and decides those it cannot reach.
class BothBackend final : public InjectionBackend {
 public:
  explicit BothBackend(BackendResources& resources) : resources_(resources) {}
  [[nodiscard]] Backend kind() const override { return Backend::both; }
  [[nodiscard]] std::vector<std::string> cannot_inject(const std::vector<FaultSpec>& faults,
                                                       std::string_view process) const override;
  void compose_environment(Environment& env) const override;
  void equip(LaunchPlan& plan) const override;

 private:
  BackendResources& resources_;
};

// The three backends of one run over shared resources; the runner picks one per process.
class RunBackends final {
 public:
  explicit RunBackends(BackendResources resources)
      : resources_(std::move(resources)),
        preload_(resources_),
        seccomp_(resources_),
        both_(resources_) {}
  RunBackends(const RunBackends&) = delete;
  RunBackends& operator=(const RunBackends&) = delete;
  [[nodiscard]] const InjectionBackend& get(Backend kind) const;
  [[nodiscard]] const BackendResources& resources() const { return resources_; }

 private:
  BackendResources resources_;
  PreloadBackend preload_;
  SeccompBackend seccomp_;
  BothBackend both_;
};

}  // namespace faultline
