// FaultPauses and the RULE of --pause-on-fault; see fault_pauses.h.
#include "runner/fault_pauses.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "faultline/fault_spec.h"
#include "processes/process_tree.h"
#include "report/event_line.h"
#include "runner/run_steps.h"
#include "util/unique_fd.h"

namespace faultline {
namespace fs = std::filesystem;
namespace {

// The state of one thread, from /proc/PID/task/TID/stat ('?' when it is gone).
char thread_state(int pid, int tid) {
  std::ifstream in(fmt::format("/proc/{}/task/{}/stat", pid, tid));
  std::string line;
  if (!std::getline(in, line)) return '?';
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() ? line[close + 2] : '?';
}

// p_vaddr - p_offset of the loadable segment holding file offset `offset` of an ELF file: what
// turns a file offset into a link-time address (0 for PIE programs and libraries).
std::uint64_t link_delta(const fs::path& file, std::uint64_t offset) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  Elf64_Ehdr eh{};
  if (!fd || ::pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh) ||
      std::string_view(reinterpret_cast<const char*>(eh.e_ident), 4) != ELFMAG ||
      eh.e_ident[EI_CLASS] != ELFCLASS64)
    return 0;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    if (::pread(fd.get(), &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * eh.e_phentsize)) !=
        static_cast<ssize_t>(sizeof ph))
      return 0;
    if (ph.p_type == PT_LOAD && offset >= ph.p_offset && offset < ph.p_offset + ph.p_filesz)
      return ph.p_vaddr - ph.p_offset;
  }
  return 0;
}

struct CodeAddress {
  fs::path module;
  std::uint64_t offset = 0;  // link-time address in the module
};

// Where the absolute address `addr` of process `pid` lies: its mapped ELF file and the
// link-time address there (/proc/PID/maps).
std::optional<CodeAddress> locate(int pid, std::uint64_t addr) {
  std::ifstream maps(fmt::format("/proc/{}/maps", pid));
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream f(line);
    std::string range, perms, offset_hex, dev, inode, path;
    if (!(f >> range >> perms >> offset_hex >> dev >> inode)) continue;
    std::getline(f >> std::ws, path);
    auto dash = range.find('-');
    std::uint64_t lo = 0, hi = 0, offset = 0;
    std::from_chars(range.data(), range.data() + dash, lo, 16);
    std::from_chars(range.data() + dash + 1, range.data() + range.size(), hi, 16);
    std::from_chars(offset_hex.data(), offset_hex.data() + offset_hex.size(), offset, 16);
    if (addr < lo || addr >= hi) continue;
    if (path.empty() || path.front() != '/') return std::nullopt;
    const std::uint64_t file_offset = addr - lo + offset;
    return CodeAddress{path, file_offset + link_delta(path, file_offset)};
  }
  return std::nullopt;
}

}  // namespace

FaultPauses::FaultPauses(ControlBlock& block, std::vector<std::string> specs,
                         std::chrono::steady_clock::time_point started)
    : block_(block), specs_(std::move(specs)), started_(started) {}

std::vector<PauseSource::Stopped> FaultPauses::take_stopped() {
  std::vector<Stopped> out;
  for (const auto& p : block_.pauses()) {
    if (taken_.count(p.slot)) continue;
    const char state = thread_state(p.pid, p.tid);
    if (state == '?' || state == 'Z' || state == 'X') {  // gone before anyone looked
      block_.release_pause(p.slot);
      continue;
    }
    if (state != 'T' && state != 't') continue;  // not stopped yet: the next poll
    taken_.insert(p.slot);
    std::optional<FaultEvent> event;
    block_.read_events([&](ControlBlock::Event&& e) {
      if (e.seq != p.event_seq) return;
      event = to_fault_event(std::move(e), started_);
    });
    std::string text;
    if (!event) {
      text = fmt::format("pid {} (its fault's event was overwritten: more than {} faults)", p.pid,
                         FL_EVENT_RING);
    } else {
      const std::size_t rule = static_cast<std::size_t>(event->rule);
      text = fmt::format("{} (pid {}) at fault {} `{}`\n  call:   {}",
                         event->process.empty() ? "?" : event->process, p.pid, rule + 1,
                         rule < specs_.size() ? specs_[rule] : "?", format_event(*event));
      if (auto where = locate(p.pid, event->caller)) {
        auto code = symbolizer_.at_return_address(where->module, where->offset);
        std::string name = code.function.empty() ? "" : code.function + " at ";
        std::string line = code.location.empty() ? "" : code.location + ", ";
        text += fmt::format("\n  caller: {}{}{}+{:#x}", name, line, where->module.string(),
                            where->offset);
      }
    }
    out.push_back({p.pid, std::move(text)});
  }
  return out;
}

void FaultPauses::release_all() {
  for (std::size_t slot : taken_) block_.release_pause(slot);
  taken_.clear();
}

std::vector<std::size_t> rules_to_pause(const std::string& rule,
                                        const std::vector<std::string>& specs, std::string& error) {
  std::vector<std::size_t> out;
  auto listing = [&] {
    std::string list;
    for (std::size_t i = 0; i < specs.size(); ++i)
      list += fmt::format("{}{} `{}`", i ? ", " : "", i + 1, specs[i]);
    return specs.empty() ? std::string("the run has no faults") : "its faults: " + list;
  };
  if (rule.empty() || rule == "*") {
    for (std::size_t i = 0; i < specs.size(); ++i) out.push_back(i);
    if (out.empty()) error = "--pause-on-fault: the run has no faults to pause at";
    return out;
  }
  std::size_t number = 0;
  auto [end, ec] = std::from_chars(rule.data(), rule.data() + rule.size(), number);
  if (ec == std::errc() && end == rule.data() + rule.size()) {
    if (number >= 1 && number <= specs.size()) return {number - 1};
    error = fmt::format("--pause-on-fault={}: no fault {}; {}", rule, number, listing());
    return {};
  }
  Diagnostics ignored;
  auto parsed = parse_fault_spec(rule, ignored);
  const std::string wanted = parsed ? parsed->to_string() : rule;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i] == wanted || specs[i] == rule) out.push_back(i);
  }
  if (out.empty()) error = fmt::format("--pause-on-fault={}: no such fault; {}", rule, listing());
  return out;
}

}  // namespace faultline
