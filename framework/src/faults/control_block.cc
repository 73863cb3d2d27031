// The runner's side of the control block; see control_block.h.
#include "faults/control_block.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "faultline_control.h"
#include "faults/call_table.h"
#include "faults/site_resolver.h"
#include "rule_engine.h"
#include "util/unique_fd.h"

namespace faultline {
namespace {

std::string describe(const FaultSpec& f, std::size_t index) {
  std::string calls;
  for (const auto& c : f.calls) calls += (calls.empty() ? "" : ",") + c;
  return "fault #" + std::to_string(index + 1) + " (" + (f.process.empty() ? "" : f.process + "/") +
         calls + ")";
}

std::uint64_t to_ns(Duration d) {
  return d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

std::int32_t clamp_arg(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())
             ? std::numeric_limits<std::int32_t>::max()
             : static_cast<std::int32_t>(v);
}

// Why channel= cannot be compiled: it names none of `channels`.
[[noreturn]] void throw_unknown_channel(const FaultSpec& f, const std::string& what,
                                        const std::vector<std::string>& channels) {
  std::string names;
  for (const auto& name : channels) names += (names.empty() ? "" : ", ") + name;
  throw std::runtime_error(
      what + ": channel=" + f.channel + " names no channel of this run" +
      (names.empty() ? std::string(" (it declares none)") : " (channels: " + names + ")"));
}

template <std::size_t N>
void copy_text(char (&dst)[N], const std::string& src, const std::string& what, const char* field) {
  if (src.size() >= N)
    throw std::runtime_error(what + ": " + field + " longer than " + std::to_string(N - 1) +
                             " characters");
  std::memcpy(dst, src.data(), src.size());
  dst[src.size()] = '\0';
}

// A calling context is matched by walking the stack with libunwind, which the interposer
// loads when a process starts; a machine without it would make every process of the run
// exit there (context.c). Said once, before anything starts.
void require_unwinder(const std::string& what) {
  static const std::string problem = [] {
    void* lib = ::dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = ::dlerror();
      return std::string(e ? e : "libunwind.so.8 cannot be loaded");
    }
    ::dlclose(lib);
    return std::string();
  }();
  if (!problem.empty())
    throw std::runtime_error(
        what + ": a calling context needs libunwind.so.8 (Debian: libunwind8): " + problem);
}

void compile_rule(const FaultSpec& f, const CheckedFaults::Target& target, std::size_t index,
                  fl_rule& r, const std::vector<std::string>& channels) {
  const std::string what = describe(f, index);
  if (f.calls.empty()) throw std::runtime_error(what + ": names no call");
  for (const auto& name : f.calls) {
    auto calls = resolve_call(name);
    if (calls.empty())
      throw std::runtime_error(what + ": unknown call '" + name +
                               "'; `faultline calls` lists the calls that can be faulted");
    for (const CallInfo* c : calls) r.call_mask[c->id / 64] |= std::uint64_t{1} << (c->id % 64);
  }
  r.action = action_code(f.action);
  switch (f.action) {
    case FaultAction::error:
      r.arg = f.error;
      break;
    case FaultAction::short_transfer:
      r.arg = clamp_arg(f.short_bytes);
      break;
    case FaultAction::corrupt:
      r.arg = f.corrupt_bits;
      break;
    case FaultAction::signal:
      r.arg = f.signal;
      break;
    default:
      r.arg = 0;
      break;
  }
  r.delay_min_ns = to_ns(f.delay_min);
  r.delay_max_ns = std::max(r.delay_min_ns, to_ns(f.delay_max));
  r.nth = f.nth.value_or(0);
  r.after = f.after.value_or(0);
  r.every = f.every.value_or(0);
  r.times = f.times.value_or(0);
  if (f.probability) {
    r.has_probability = 1;
    r.probability = fl_probability_threshold(*f.probability);
  }
  r.fd_class = f.fd == FdClass::ipc    ? FL_FD_IPC
               : f.fd == FdClass::file ? FL_FD_FILE
               : f.fd == FdClass::anon ? FL_FD_ANON
                                       : FL_FD_ANY;
  r.flags = f.force ? FL_RULE_FORCE : 0;
  if (target.unknown_channel) throw_unknown_channel(f, what, channels);
  r.channel = target.channel;
  if (!f.site.empty()) {
    const SiteResolution& site = target.site;
    if (!site.error.empty()) throw std::runtime_error(what + ": " + site.error);
    // The text only says that a site is given, and names it in reports: a long context
    // (library paths) is cut, its frames are in the ranges.
    std::string text = f.site.size() < FL_SITE_MAX ? f.site : f.site.substr(0, FL_SITE_MAX - 1);
    copy_text(r.site, text, what, "site=");
    r.site_count =
        static_cast<std::uint32_t>(std::min<std::size_t>(site.ranges.size(), FL_SITE_RANGES));
    std::copy_n(site.ranges.begin(), r.site_count, r.site_ranges);
    const std::size_t frames = target.outer.size() + 1;
    r.context_depth = static_cast<std::uint32_t>(frames);
    if (frames > 1) require_unwinder(what + ": site=" + f.site);
    for (std::size_t frame = 1; frame < frames; ++frame) {
      const SiteResolution& outer = target.outer[frame - 1];
      if (!outer.error.empty())
        throw std::runtime_error(
            fmt::format("{}: frame {} of the calling context: {}", what, frame + 1, outer.error));
      for (const fl_site_range& range : outer.ranges) {
        if (r.context_count >= FL_CONTEXT_RANGES)
          throw std::runtime_error(fmt::format(
              "{}: site={}: the frames outside the innermost resolve to more than {} code "
              "ranges (FL_CONTEXT_RANGES); name them by MODULE+0xOFFSET or by lines",
              what, f.site, FL_CONTEXT_RANGES));
        r.context_frame[r.context_count] = static_cast<std::uint8_t>(frame);
        r.context_ranges[r.context_count++] = range;
      }
    }
  }
  if (f.process.size() >= FL_NAME_MAX)
    throw std::runtime_error(what + ": process name longer than " +
                             std::to_string(FL_NAME_MAX - 1) + " characters; use a shorter name");
  std::memcpy(r.process, f.process.data(), f.process.size());
  std::string text = f.to_string();
  if (text.size() >= FL_SITE_MAX) text.resize(FL_SITE_MAX - 1);
  std::memcpy(r.text, text.data(), text.size());
}

// Calls that do the same job in other ways: a program that reads with recv where the rule
// says read is what a fault that never fired most often hides.
const std::vector<std::vector<std::string_view>>& call_families() {
  static const std::vector<std::vector<std::string_view>> families{
      {"read", "recv", "recvfrom", "recvmsg", "recvmmsg", "msgrcv", "mq_receive"},
      {"write", "send", "sendto", "sendmsg", "sendmmsg", "msgsnd", "mq_send"},
  };
  return families;
}

// Every call of rule `index`'s mask, and every spelling of the families its calls belong to,
// in `counted` and (the rule's bit) in count_rules.
void count_family(const fl_rule& r, std::size_t index, fl_control& c) {
  const auto& table = call_table();
  const std::uint64_t bit = std::uint64_t{1} << index;
  auto count = [&](int id) {
    c.counted[id >> 6] |= 1ULL << (id & 63);
    c.count_rules[id] |= bit;
  };
  for (const CallInfo& info : table) {
    if (!((r.call_mask[info.id >> 6] >> (info.id & 63)) & 1)) continue;
    count(info.id);
    for (const auto& family : call_families()) {
      if (std::find(family.begin(), family.end(), info.base) == family.end()) continue;
      for (const CallInfo& other : table)
        if (std::find(family.begin(), family.end(), other.base) != family.end()) count(other.id);
    }
  }
}

}  // namespace

CheckedFaults check_faults(std::vector<FaultSpec> faults, std::vector<std::string> channels,
                           std::vector<std::filesystem::path> programs) {
  CheckedFaults out;
  out.targets_.reserve(faults.size());
  for (const FaultSpec& f : faults) {
    CheckedFaults::Target t;
    if (!f.channel.empty()) {
      auto found = std::find(channels.begin(), channels.end(), f.channel);
      if (found == channels.end())
        t.unknown_channel = true;
      else
        t.channel = static_cast<int>(found - channels.begin());
    }
    if (!f.site.empty()) {
      t.site = resolve_site(f.site, programs);  // every frame of a calling context
      const auto frames = site_context(f.site);
      for (std::size_t frame = 1; t.site.ok() && frame < frames.size(); ++frame)
        t.outer.push_back(resolve_site(frames[frame], programs));
    }
    out.targets_.push_back(std::move(t));
  }
  out.faults_ = std::move(faults);
  out.channels_ = std::move(channels);
  out.programs_ = std::move(programs);
  return out;
}

CheckedFaults check_faults(const std::vector<FaultSpec>& faults, const ControlContext& context) {
  std::vector<std::string> channels;
  channels.reserve(context.channels.size());
  for (const auto& c : context.channels) channels.push_back(c.name);
  return check_faults(faults, std::move(channels), context.programs);
}

bool CheckedFaults::checked_for(const std::vector<FaultSpec>& faults,
                                const ControlContext& context) const {
  if (faults.size() != faults_.size() || context.channels.size() != channels_.size()) return false;
  for (std::size_t i = 0; i < channels_.size(); ++i)
    if (context.channels[i].name != channels_[i]) return false;
  bool any_site = false;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    if (faults[i].to_string() != faults_[i].to_string()) return false;
    any_site = any_site || !faults[i].site.empty();
  }
  return !any_site || context.programs == programs_;
}

ControlBlock ControlBlock::create(const std::filesystem::path& path,
                                  const std::vector<FaultSpec>& faults, std::uint64_t seed,
                                  const ControlContext& context) {
  return compile(path, check_faults(faults, context), seed, context);
}

ControlBlock ControlBlock::compile(const std::filesystem::path& path, const CheckedFaults& checked,
                                   std::uint64_t seed, const ControlContext& context) {
  const std::vector<FaultSpec>& faults = checked.faults();
  if (checked.channels().size() != context.channels.size() ||
      !std::equal(
          checked.channels().begin(), checked.channels().end(), context.channels.begin(),
          [](const std::string& name, const ControlContext::Channel& c) { return name == c.name; }))
    throw std::invalid_argument("the faults were checked against other channels than the run's");
  if (context.channels.size() > FL_MAX_CHANNELS)
    throw std::runtime_error(std::to_string(context.channels.size()) +
                             " channels, but a run holds at most " +
                             std::to_string(FL_MAX_CHANNELS) + "; split the scenario");
  if (context.captures.size() > FL_MAX_CAPTURES)
    throw std::runtime_error(std::to_string(context.captures.size() / 2) +
                             " processes with captured output, but a run holds at most " +
                             std::to_string(FL_MAX_CAPTURES / 2) + "; split the scenario");
  if (faults.size() > FL_MAX_RULES)
    throw std::runtime_error(std::to_string(faults.size()) + " faults, but a run holds at most " +
                             std::to_string(FL_MAX_RULES) + "; split the scenario");
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd)
    throw std::system_error(errno, std::generic_category(),
                            "cannot create the control file " + path.string());
  // From here on the file exists: remove it again if anything below fails.
  struct RemoveOnFailure {
    const std::filesystem::path& p;
    bool armed = true;
    ~RemoveOnFailure() {
      if (armed) ::unlink(p.c_str());
    }
  } remove_on_failure{path};
  if (::ftruncate(fd.get(), sizeof(fl_control)) != 0)
    throw std::system_error(errno, std::generic_category(),
                            "cannot size the control file " + path.string());
  void* addr = ::mmap(nullptr, sizeof(fl_control), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (addr == MAP_FAILED)
    throw std::system_error(errno, std::generic_category(),
                            "cannot map the control file " + path.string());
  // The fresh file reads as zeros: every counter, mask and string starts empty.
  ControlBlock block(path, static_cast<fl_control*>(addr));
  fl_control& c = *block.control_;
  for (std::size_t i = 0; i < context.channels.size(); ++i) {
    const auto& in = context.channels[i];
    fl_channel& out = c.channels[i];
    const std::string what = "channel " + in.name;
    copy_text(out.name, in.name, what, "name");
    copy_text(out.path, in.path, what, "path");
    out.sysv_id = in.sysv_id;
    out.key = in.key;
    out.port = in.port;
    out.dev = in.dev;
    out.ino = in.ino;
  }
  c.channel_count = static_cast<std::uint32_t>(context.channels.size());
  for (std::size_t i = 0; i < context.captures.size(); ++i)
    c.captures[i] = {context.captures[i].dev, context.captures[i].ino};
  c.capture_count = static_cast<std::uint32_t>(context.captures.size());
  for (std::size_t i = 0; i < faults.size(); ++i) {
    compile_rule(faults[i], checked.targets()[i], i, c.rules[i], checked.channels());
    for (std::size_t w = 0; w < FL_MAX_CALLS / 64; ++w) c.armed[w] |= c.rules[i].call_mask[w];
    count_family(c.rules[i], i, c);
  }
  c.rule_count = static_cast<std::uint32_t>(faults.size());
  c.seed = seed;
  c.runner_pid = static_cast<std::int32_t>(::getpid());
  c.size = sizeof(fl_control);
  c.version = FL_CONTROL_VERSION;
  std::atomic_thread_fence(std::memory_order_release);
  c.magic = FL_CONTROL_MAGIC;
  remove_on_failure.armed = false;
  return block;
}

ControlBlock::ControlBlock(std::filesystem::path path, fl_control* control)
    : path_(std::move(path)), control_(control) {}

std::optional<ControlBlock> ControlBlock::open_left_behind(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      static_cast<std::size_t>(st.st_size) != sizeof(fl_control)) {
    return std::nullopt;
  }
  void* addr = ::mmap(nullptr, sizeof(fl_control), PROT_READ, MAP_SHARED, fd.get(), 0);
  if (addr == MAP_FAILED) return std::nullopt;
  ControlBlock block(path, static_cast<fl_control*>(addr));
  const fl_control& c = *block.control_;
  if (c.magic != FL_CONTROL_MAGIC || c.version != FL_CONTROL_VERSION ||
      c.size != sizeof(fl_control)) {
    return std::nullopt;
  }
  return block;
}

ControlBlock::ControlBlock(ControlBlock&& other) noexcept
    : path_(std::move(other.path_)), control_(std::exchange(other.control_, nullptr)) {}

ControlBlock& ControlBlock::operator=(ControlBlock&& other) noexcept {
  if (this != &other) {
    if (control_) ::munmap(control_, sizeof(fl_control));
    path_ = std::move(other.path_);
    control_ = std::exchange(other.control_, nullptr);
  }
  return *this;
}

ControlBlock::~ControlBlock() {
  if (control_) ::munmap(control_, sizeof(fl_control));
}

std::size_t ControlBlock::rule_count() const { return control_ ? control_->rule_count : 0; }

ControlBlock::RuleStats ControlBlock::stats(std::size_t rule) const {
  if (rule >= rule_count())
    throw std::out_of_range("rule " + std::to_string(rule) + " of " + std::to_string(rule_count()));
  const fl_rule& r = control_->rules[rule];
  return {r.hits.load(std::memory_order_acquire),
          r.fires.load(std::memory_order_acquire),
          r.refused.load(std::memory_order_acquire),
          r.refused_why.load(std::memory_order_acquire),
          r.unrealistic.load(std::memory_order_acquire),
          r.unrealistic_why.load(std::memory_order_acquire)};
}

std::vector<std::pair<std::string, std::vector<ControlBlock::CallCount>>>
ControlBlock::call_counts() const {
  std::vector<std::pair<std::string, std::vector<CallCount>>> out;
  if (!control_) return out;
  const auto& table = call_table();
  for (const fl_call_counts& slot : control_->counts) {
    if (slot.state.load(std::memory_order_acquire) != 2) continue;
    std::vector<CallCount> calls;
    for (const CallInfo& c : table) {
      std::uint64_t n = slot.calls[c.id].load(std::memory_order_relaxed);
      if (n) calls.push_back({std::string(c.symbol), c.id, n});
    }
    out.emplace_back(std::string(slot.process, ::strnlen(slot.process, FL_NAME_MAX)),
                     std::move(calls));
  }
  return out;
}

std::vector<std::uint64_t> ControlBlock::misses(std::size_t rule) const {
  if (rule >= rule_count())
    throw std::out_of_range("rule " + std::to_string(rule) + " of " + std::to_string(rule_count()));
  std::vector<std::uint64_t> out;
  for (const auto& m : control_->misses[rule]) out.push_back(m.load(std::memory_order_relaxed));
  return out;
}

std::vector<ControlBlock::Event> ControlBlock::events() const {
  std::vector<Event> out;
  out.reserve(events_held());
  read_events([&out](Event&& e) { out.push_back(std::move(e)); });
  return out;
}

std::size_t ControlBlock::events_held() const {
  if (!control_) return 0;
  const std::uint64_t next = control_->event_next.load(std::memory_order_acquire);
  return static_cast<std::size_t>(std::min<std::uint64_t>(next, FL_EVENT_RING));
}

void ControlBlock::read_events(const std::function<void(Event&&)>& sink) const {
  if (!control_) return;
  const auto& table = call_table();
  const std::uint64_t next = control_->event_next.load(std::memory_order_acquire);
  const std::uint64_t first = next > FL_EVENT_RING ? next - FL_EVENT_RING : 0;
  for (std::uint64_t idx = first; idx < next; ++idx) {
    const fl_event& e = control_->events[idx % FL_EVENT_RING];
    if (e.seq.load(std::memory_order_acquire) != idx + 1) continue;  // still being written
    Event ev;
    ev.seq = idx + 1;
    ev.time_ns = e.time_ns;
    ev.caller = e.caller;
    ev.result = e.result;
    ev.bytes = e.bytes;
    ev.pid = e.pid;
    ev.tid = e.tid;
    ev.call_id = e.call;
    ev.rule = e.rule;
    ev.err = e.err;
    ev.fd = e.fd;
    ev.hit = e.hit;
    ev.unrealistic = e.unrealistic;
    const int channel = e.channel;
    ev.process.assign(e.process, strnlen(e.process, FL_NAME_MAX));
    // A writer that overtook us while copying makes the record torn: drop it.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (e.seq.load(std::memory_order_relaxed) != idx + 1) continue;
    if (ev.call_id >= 0 && static_cast<std::size_t>(ev.call_id) < table.size())
      ev.call = std::string(table[static_cast<std::size_t>(ev.call_id)].symbol);
    if (ev.err != 0) ev.err_name = errno_name(ev.err);
    if (channel >= 0 && channel < static_cast<int>(control_->channel_count) &&
        channel < FL_MAX_CHANNELS)
      ev.channel.assign(control_->channels[channel].name,
                        strnlen(control_->channels[channel].name, FL_NAME_MAX));
    sink(std::move(ev));
  }
}

void ControlBlock::pause_at(std::size_t rule) {
  if (rule >= rule_count())
    throw std::out_of_range("rule " + std::to_string(rule) + " of " + std::to_string(rule_count()));
  control_->rules[rule].flags |= FL_RULE_PAUSE;
}

std::vector<ControlBlock::Pause> ControlBlock::pauses() const {
  std::vector<Pause> out;
  if (!control_) return out;
  for (std::size_t i = 0; i < FL_MAX_PAUSES; ++i) {
    const fl_pause& p = control_->pauses[i];
    if (p.state.load(std::memory_order_acquire) != 2) continue;
    out.push_back({i, p.pid, p.tid, p.event_seq});
  }
  return out;
}

void ControlBlock::release_pause(std::size_t slot) {
  if (!control_ || slot >= FL_MAX_PAUSES) return;
  control_->pauses[slot].state.store(0, std::memory_order_release);
}

std::vector<ControlBlock::Created> ControlBlock::created() const {
  std::vector<Created> out;
  if (!control_) return out;
  const auto& table = call_table();
  const std::uint32_t n = std::min<std::uint32_t>(
      control_->created_next.load(std::memory_order_acquire), FL_MAX_CREATED);
  for (std::uint32_t i = 0; i < n; ++i) {
    const fl_created& c = control_->created[i];
    if (c.state.load(std::memory_order_acquire) != 1) continue;  // its writer died mid-record
    Created o;
    o.kind = c.kind;
    o.id = c.id;
    o.key = c.key;
    o.pid = c.pid;
    if (c.call >= 0 && static_cast<std::size_t>(c.call) < table.size())
      o.call = std::string(table[static_cast<std::size_t>(c.call)].symbol);
    o.path.assign(c.path, strnlen(c.path, FL_SITE_MAX));
    o.process.assign(c.process, strnlen(c.process, FL_NAME_MAX));
    out.push_back(std::move(o));
  }
  return out;
}

std::uint64_t ControlBlock::created_lost() const {
  if (!control_) return 0;
  std::uint32_t n = control_->created_next.load(std::memory_order_acquire);
  return n > FL_MAX_CREATED ? n - FL_MAX_CREATED : 0;
}

std::vector<ControlBlock::Fact> ControlBlock::facts() const {
  std::vector<Fact> out;
  if (!control_) return out;
  const std::uint32_t n =
      std::min<std::uint32_t>(control_->fact_next.load(std::memory_order_acquire), FL_MAX_FACTS);
  for (std::uint32_t i = 0; i < n; ++i) {
    const fl_fact& f = control_->facts[i];
    // 0: its writer died mid-record; 2: withdrawn (an exec that failed).
    if (f.state.load(std::memory_order_acquire) != 1) continue;
    Fact o;
    o.kind = f.kind;
    o.pid = f.pid;
    o.ppid = f.ppid;
    o.uid = f.uid;
    o.process.assign(f.process, strnlen(f.process, FL_NAME_MAX));
    o.detail.assign(f.detail, strnlen(f.detail, FL_SITE_MAX));
    out.push_back(std::move(o));
  }
  return out;
}

std::uint64_t ControlBlock::facts_lost() const {
  if (!control_) return 0;
  std::uint32_t n = control_->fact_next.load(std::memory_order_acquire);
  return n > FL_MAX_FACTS ? n - FL_MAX_FACTS : 0;
}

void ControlBlock::start_recording(unsigned context) {
  if (!control_) return;
  if (context > 1) require_unwinder(fmt::format("--context {}", context));
  control_->record = 1;
  control_->record_context = std::min<unsigned>(std::max(context, 1u), FL_CONTEXT_MAX);
  for (int id = 0; id < FL_CALL_COUNT; ++id)
    control_->armed[id / 64] |= std::uint64_t{1} << (id % 64);
}

std::vector<ControlBlock::Recorded> ControlBlock::recorded() const {
  std::vector<Recorded> out;
  if (!control_) return out;
  auto module_path = [this](std::uint64_t dev, std::uint64_t ino) {
    if (dev == 0 && ino == 0) return std::string();
    for (const fl_module& m : control_->modules) {
      if (m.state.load(std::memory_order_acquire) == 2 && m.dev == dev && m.ino == ino)
        return std::string(m.path, ::strnlen(m.path, FL_MODULE_PATH));
    }
    return std::string();
  };
  const auto& table = call_table();
  for (const fl_recorded& e : control_->recorded) {
    if (e.state.load(std::memory_order_acquire) != 2) continue;
    const fl_call_counts& slot = control_->counts[e.process % FL_COUNT_PROCESSES];
    if (slot.state.load(std::memory_order_acquire) != 2) continue;
    Recorded r;
    r.process.assign(slot.process, ::strnlen(slot.process, FL_NAME_MAX));
    r.call_id = e.call;
    if (e.call < table.size()) r.call = std::string(table[e.call].symbol);
    r.dev = e.dev;
    r.ino = e.ino;
    r.offset = e.offset;
    for (std::uint32_t i = 0; i < std::min<std::uint32_t>(e.depth, FL_CONTEXT_MAX - 1); ++i)
      r.outer.push_back({e.outer[i].dev, e.outer[i].ino,
                         module_path(e.outer[i].dev, e.outer[i].ino), e.outer[i].offset});
    r.count = e.count.load(std::memory_order_relaxed);
    r.shape = e.shape;
    r.flags = e.flags.load(std::memory_order_relaxed);
    r.module = module_path(r.dev, r.ino);
    out.push_back(std::move(r));
  }
  return out;
}

std::uint64_t ControlBlock::recorded_lost() const {
  return control_ ? control_->recorded_lost.load(std::memory_order_acquire) : 0;
}

std::uint64_t ControlBlock::events_lost() const {
  return control_ ? control_->event_lost.load(std::memory_order_acquire) : 0;
}

}  // namespace faultline
