// The preload, seccomp and both backends; see injection_backend.h.
#include "runner/injection_backend.h"

#include <algorithm>

#include "seccomp/backend.h"
#include "seccomp/filter.h"

namespace faultline {
namespace {

// The interposer first, ahead of whatever the runner itself was started with.
void preload_interposer(const std::filesystem::path& interposer, Environment& env) {
  std::string preload = interposer.string();
  if (auto it = env.find("LD_PRELOAD"); it != env.end() && !it->second.empty())
    preload += ":" + it->second;
  env["LD_PRELOAD"] = preload;
}

// The filter of the run's armed calls, when there are any: none, no notification to answer.
void install_filter(BackendResources& resources, bool skip_interposed, LaunchPlan& plan) {
  const auto& filter = resources.seccomp_filter();
  if (filter->syscall_count() > 0)
    plan.seccomp = SeccompPlan{filter, resources.control(), skip_interposed};
}

}  // namespace

BackendResources::BackendResources(std::filesystem::path interposer, int control_fd,
                                   std::shared_ptr<UniqueFd> control_file, fl_control* control)
    : interposer_(std::move(interposer)),
      control_fd_(control_fd),
      control_file_(std::move(control_file)),
      control_(control) {}

const std::shared_ptr<const seccomp::FilterProgram>& BackendResources::seccomp_filter() {
  if (!filter_)
    filter_ =
        std::make_shared<const seccomp::FilterProgram>(seccomp::FilterProgram::build(*control_));
  return filter_;
}

std::vector<std::string> PreloadBackend::cannot_inject(const std::vector<FaultSpec>&,
                                                       std::string_view) const {
  return {};
}

void PreloadBackend::compose_environment(Environment& env) const {
  preload_interposer(resources_.interposer(), env);
}

void PreloadBackend::equip(LaunchPlan& plan) const {
  plan.fds[resources_.control_fd()] = resources_.control_file();
}

std::vector<std::string> SeccompBackend::cannot_inject(const std::vector<FaultSpec>& faults,
                                                       std::string_view process) const {
  return seccomp::faults_needing_preload(faults, process);
}

void SeccompBackend::compose_environment(Environment& env) const {
  // The runner's own LD_PRELOAD, without the interposer; none when that leaves it empty.
  if (auto it = env.find("LD_PRELOAD"); it != env.end() && it->second.empty()) env.erase(it);
}

void SeccompBackend::equip(LaunchPlan& plan) const { install_filter(resources_, false, plan); }

std::vector<std::string> BothBackend::cannot_inject(const std::vector<FaultSpec>&,
                                                    std::string_view) const {
  return {};
}

void BothBackend::compose_environment(Environment& env) const {
  preload_interposer(resources_.interposer(), env);
}

void BothBackend::equip(LaunchPlan& plan) const {
  plan.fds[resources_.control_fd()] = resources_.control_file();
  install_filter(resources_, true, plan);
}

const InjectionBackend& RunBackends::get(Backend kind) const {
  switch (kind) {
    case Backend::seccomp:
      return seccomp_;
    case Backend::both:
      return both_;
    case Backend::preload:
      break;
  }
  return preload_;
}

}  // namespace faultline
