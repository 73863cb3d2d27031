// Reading a recording back; see recording.h.
#include "runner/recording.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "faultline_control.h"
#include "faults/site_resolver.h"
#include "realism.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

std::string shape_name(unsigned shape) {
  switch (shape) {
    case FL_SHAPE_PIPE:
      return "pipe";
    case FL_SHAPE_STREAM:
      return "stream";
    case FL_SHAPE_MESSAGE:
      return "message";
    case FL_SHAPE_RECORD:
      return "record";
    case FL_SHAPE_ANON:
      return "anon";
    case FL_SHAPE_REGULAR:
      return "regular";
    case FL_SHAPE_OTHER:
      return "other";
    default:
      return "";
  }
}

struct Program {
  fs::path path;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
};

}  // namespace

std::vector<RecordedCall> read_recording(const ControlBlock& control,
                                         const std::vector<fs::path>& programs) {
  std::vector<Program> files;
  for (const fs::path& p : programs) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0)
      files.push_back(
          {p, static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)});
  }
  // The site text of a caller in the file (dev, ino): the basename of the scenario program
  // that is this file, unless another program has that basename too; else its path.
  auto site_module = [&](std::uint64_t dev, std::uint64_t ino, const std::string& path) {
    for (const Program& p : files) {
      if (p.dev != dev || p.ino != ino) continue;
      std::string name = p.path.filename().string();
      bool unique = std::none_of(files.begin(), files.end(), [&](const Program& q) {
        return q.path.filename() == name && (q.dev != dev || q.ino != ino);
      });
      return unique ? name : p.path.string();
    }
    return path;
  };

  // A calling context's outer frames, (dev, ino, offset) each, are part of the key.
  using Frames = std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>>;
  using Key = std::tuple<std::string, std::string, std::uint64_t, std::uint64_t, std::uint64_t,
                         bool, Frames>;
  std::map<Key, RecordedCall> merged;
  std::map<Key, std::pair<std::uint64_t, std::uint64_t>> identity;  // dev, ino of each key
  std::map<Key, std::vector<ControlBlock::Recorded::Frame>> outer;  // of each key
  for (const ControlBlock::Recorded& r : control.recorded()) {
    const bool seccomp = (r.flags & FL_REC_SECCOMP) != 0;
    Frames frames;
    for (const auto& f : r.outer) frames.emplace_back(f.dev, f.ino, f.offset);
    Key key{r.process, r.call, r.dev, r.ino, r.offset, seccomp, std::move(frames)};
    auto [it, fresh] = merged.try_emplace(key);
    RecordedCall& c = it->second;
    if (fresh) {
      c.process = r.process;
      c.call = r.call;
      c.module = r.module;
      c.offset = r.offset;
      c.shape = shape_name(r.shape);
      c.seccomp = seccomp;
      identity[key] = {r.dev, r.ino};
      outer[key] = r.outer;
    }
    c.count += r.count;
    c.eintr_realistic = c.eintr_realistic || (r.flags & FL_REC_EINTR);
    c.eagain_realistic = c.eagain_realistic || (r.flags & FL_REC_EAGAIN);
    c.eagain_nonblocking = c.eagain_nonblocking || (r.flags & FL_REC_EAGAIN_NB);
    c.short_realistic = c.short_realistic || (r.flags & FL_REC_SHORT);
    if (c.module.empty()) c.module = r.module;
  }

  Symbolizer symbols;
  std::vector<RecordedCall> out;
  for (auto& [key, c] : merged) {
    const auto [dev, ino] = identity[key];
    if (!c.seccomp && (dev != 0 || ino != 0)) {
      if (c.module.empty()) {
        for (const Program& p : files)
          if (p.dev == dev && p.ino == ino) c.module = p.path.string();
      }
      if (!c.module.empty()) {
        auto code = symbols.at_return_address(c.module, c.offset);
        c.function = std::move(code.function);
        c.location = std::move(code.location);
        c.site = fmt::format("{}+{:#x}", site_module(dev, ino, c.module), c.offset);
      }
      // The calling context, as far as its frames can be named (a frame in no known
      // module ends it: site= could not target it).
      for (const auto& f : outer[key]) {
        if (c.site.empty() || (f.dev == 0 && f.ino == 0) || f.module.empty()) break;
        RecordedCall::Frame frame;
        frame.module = f.module;
        frame.offset = f.offset;
        auto code = symbols.at_return_address(f.module, f.offset);
        frame.function = std::move(code.function);
        frame.location = std::move(code.location);
        frame.site = fmt::format("{}+{:#x}", site_module(f.dev, f.ino, f.module), f.offset);
        c.site += "<" + frame.site;
        c.context.push_back(std::move(frame));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace faultline
