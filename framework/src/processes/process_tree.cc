// See process_tree.h.
#include "processes/process_tree.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

namespace faultline {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  // getline, not an istreambuf_iterator: a process that exits between open and read makes
  // the read fail with ESRCH, which getline records in the stream and the iterator throws.
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // "PID (COMM) S PPID PGRP ...": comm may hold spaces and parentheses, so cut at the last ')'.
  std::size_t open = line.find('(');
  std::size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcStat st;
  st.pid = pid;
  st.comm = line.substr(open + 1, close - open - 1);
  std::istringstream rest(line.substr(close + 1));
  if (!(rest >> st.state >> st.ppid >> st.pgid)) return std::nullopt;
  std::string skip;
  for (int field = 6; field < 22; ++field) rest >> skip;
  if (!(rest >> st.start_time)) return std::nullopt;
  return st;
}

std::vector<ProcStat> list_processes() {
  std::vector<ProcStat> all;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (err != std::errc() || end != name.data() + name.size()) continue;
    // A process may exit between listing and reading; it is then simply not there.
    if (auto st = read_proc_stat(pid)) all.push_back(std::move(*st));
  }
  return all;
}

std::vector<ProcStat> live_descendants(pid_t root, const std::vector<ProcStat>& all) {
  std::multimap<pid_t, const ProcStat*> by_parent;
  for (const auto& p : all) by_parent.emplace(p.ppid, &p);
  std::vector<ProcStat> out;
  std::vector<pid_t> queue{root};
  for (std::size_t i = 0; i < queue.size(); ++i) {
    auto [first, last] = by_parent.equal_range(queue[i]);
    for (auto it = first; it != last; ++it) {
      queue.push_back(it->second->pid);
      if (it->second->state != 'Z' && it->second->state != 'X') out.push_back(*it->second);
    }
  }
  return out;
}

}  // namespace faultline
