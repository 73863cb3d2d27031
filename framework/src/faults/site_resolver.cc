// site= resolution with libdw's Dwfl: symbol tables for FUNCTION, line tables for FILE:LINE.
// libdw is opened on the first resolution (faults/libdw.h), not linked.
#include "faults/site_resolver.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "faultline/fault_spec.h"
#include "faults/libdw.h"
#include "util/join_words.h"
#include "util/unique_fd.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

struct FileLine {
  std::string file;
  int line = 0;
};

// FILE:LINE when the text after the last ':' is a number; `a::b` stays a (C++) function.
std::optional<FileLine> split_file_line(std::string_view site) {
  auto colon = site.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || site[colon - 1] == ':') return std::nullopt;
  std::string_view number = site.substr(colon + 1);
  FileLine out;
  out.file = std::string(site.substr(0, colon));
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), out.line);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) {
    out.line = -1;  // FILE:something that is no line number
  }
  return out;
}

// MODULE+0xOFFSET: `site` ends in "+0x" and hex digits (bad digits: offset_ok false).
struct ModuleOffset {
  std::string module;
  std::uint64_t offset = 0;
  bool offset_ok = true;
};

std::optional<ModuleOffset> split_module_offset(std::string_view site) {
  auto plus = site.rfind("+0x");
  if (plus == std::string_view::npos || plus == 0) return std::nullopt;
  ModuleOffset out;
  out.module = std::string(site.substr(0, plus));
  std::string_view hex = site.substr(plus + 3);
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), out.offset, 16);
  out.offset_ok = !hex.empty() && ec == std::errc() && end == hex.data() + hex.size();
  return out;
}

// What one program is, before looking inside it.
struct ProgramFile {
  fs::path path;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::string skipped;  // why it is not looked into, "" when it is an ELF file
};

ProgramFile inspect(const fs::path& path) {
  ProgramFile p;
  p.path = path;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    p.skipped = path.string() + ": cannot be read (" + std::strerror(errno) + ")";
    return p;
  }
  p.dev = st.st_dev;
  p.ino = st.st_ino;
  char magic[4] = {};
  if (::pread(fd.get(), magic, sizeof magic, 0) != static_cast<ssize_t>(sizeof magic) ||
      std::memcmp(magic, "\177ELF", 4) != 0)
    p.skipped = path.string() + " is no ELF file (a script?)";
  return p;
}

// How a Dwfl session finds an offline file's ELF and debug information. A Dwfl keeps the
// pointer: the table lives as long as the process.
const Dwfl_Callbacks* offline_callbacks(const LibDw& dw) {
  static const Dwfl_Callbacks callbacks = {
      .find_elf = dw.dwfl_build_id_find_elf,
      .find_debuginfo = dw.dwfl_standard_find_debuginfo,
      .section_address = dw.dwfl_offline_section_address,
      .debuginfo_path = nullptr,
  };
  return &callbacks;
}

// One Dwfl session holding one program, offline (no process).
class DwflFile final {
 public:
  explicit DwflFile(const fs::path& path) : dwfl_(nullptr, libdw().dwfl_end) {
    const LibDw& dw = libdw();
    if (!dw.ok()) {
      error_ = path.string() + ": " + dw.error;
      return;
    }
    dwfl_.reset(dw.dwfl_begin(offline_callbacks(dw)));
    if (!dwfl_) {
      error_ = dw.dwfl_errmsg(-1);
      return;
    }
    dw.dwfl_report_begin(dwfl_.get());
    module_ = dw.dwfl_report_offline(dwfl_.get(), path.c_str(), path.c_str(), -1);
    dw.dwfl_report_end(dwfl_.get(), nullptr, nullptr);
    if (!module_) {
      error_ = path.string() + ": libdw cannot read it (" + dw.dwfl_errmsg(-1) + ")";
      return;
    }
    if (!dw.dwfl_module_getelf(module_, &elf_bias_)) {
      error_ = path.string() + ": libdw cannot read it (" + dw.dwfl_errmsg(-1) + ")";
      module_ = nullptr;
    }
  }
  DwflFile(const DwflFile&) = delete;
  DwflFile& operator=(const DwflFile&) = delete;

  [[nodiscard]] Dwfl_Module* module() const { return module_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  // Dwfl addresses -> link-time addresses of the ELF file (what dlpi_addr is added to).
  [[nodiscard]] std::uint64_t link_address(Dwarf_Addr dwfl_address) const {
    return dwfl_address - elf_bias_;
  }
  [[nodiscard]] Dwarf_Addr dwfl_address(std::uint64_t link_address) const {
    return link_address + elf_bias_;
  }
  // The link-time addresses the file's loaded segments span.
  [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> span() const {
    Dwarf_Addr start = 0, end = 0;
    libdw().dwfl_module_info(module_, nullptr, &start, &end, nullptr, nullptr, nullptr, nullptr);
    return {link_address(start), link_address(end)};
  }

 private:
  std::unique_ptr<Dwfl, decltype(LibDw::dwfl_end)> dwfl_;
  Dwfl_Module* module_ = nullptr;
  GElf_Addr elf_bias_ = 0;
  std::string error_;
};

struct Range {
  std::uint64_t lo;
  std::uint64_t hi;
  auto operator<=>(const Range&) const = default;
};

// Sorted, with overlapping and touching ranges joined.
std::vector<Range> merge(std::vector<Range> in) {
  std::sort(in.begin(), in.end());
  std::vector<Range> out;
  for (const Range& r : in) {
    if (!out.empty() && r.lo <= out.back().hi)
      out.back().hi = std::max(out.back().hi, r.hi);
    else
      out.push_back(r);
  }
  return out;
}

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> d(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && d ? std::string(d.get()) : std::string();
}

// `f`, its GCC clones (`f.cold`, `f.part.0`, `f.constprop.0`; C names cannot hold a '.') and
// C++ `ns::f(int)` for `ns::f`.
bool names_function(const char* symbol, std::string_view function) {
  std::string_view s(symbol);
  if (s.starts_with(function) && (s.size() == function.size() || s[function.size()] == '.'))
    return true;
  if (!s.starts_with("_Z")) return false;
  std::string d = demangle(symbol);
  return d.starts_with(function) && d.size() > function.size() && d[function.size()] == '(';
}

struct FunctionLookup {
  std::vector<Range> ranges;
  std::vector<std::string> similar;  // function names that contain the one asked for
};

FunctionLookup find_function(const DwflFile& file, std::string_view function) {
  FunctionLookup out;
  const LibDw& dw = libdw();
  int count = dw.dwfl_module_getsymtab(file.module());
  for (int i = 1; i < count; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    GElf_Word shndx = 0;
    const char* name =
        dw.dwfl_module_getsym_info(file.module(), i, &sym, &addr, &shndx, nullptr, nullptr);
    if (!name || *name == '\0' || shndx == SHN_UNDEF || sym.st_size == 0) continue;
    int type = GELF_ST_TYPE(sym.st_info);
    if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
    if (names_function(name, function)) {
      std::uint64_t lo = file.link_address(addr);
      out.ranges.push_back({lo, lo + sym.st_size});
    } else if (out.similar.size() < 3 &&
               std::string_view(name).find(function) != std::string_view::npos) {
      out.similar.emplace_back(name);
    }
  }
  out.ranges = merge(std::move(out.ranges));
  return out;
}

// `file` as written names `source` when it is `source`'s trailing path components.
bool names_source(const fs::path& file, const fs::path& source) {
  auto f = file.begin(), fe = file.end();
  auto s = source.begin(), se = source.end();
  auto nf = std::distance(f, fe), ns = std::distance(s, se);
  if (nf == 0 || nf > ns) return false;
  if (file.is_absolute()) return file == source;
  std::advance(s, ns - nf);
  return std::equal(f, fe, s, se);
}

struct LineLookup {
  bool has_lines = false;           // the program has a line table at all
  bool file_seen = false;           // some row is of the file
  std::set<int> lines;              // lines of the file with code
  std::set<std::string> same_name;  // sources with the file's name that did not match
  std::vector<Range> ranges;
};

LineLookup find_line(const DwflFile& file, const FileLine& where) {
  LineLookup out;
  const LibDw& dw = libdw();
  Dwarf_Addr bias = 0;
  if (!dw.dwfl_module_getdwarf(file.module(), &bias)) return out;
  const fs::path wanted = fs::path(where.file).lexically_normal();
  Dwarf_Die* cu = nullptr;
  while ((cu = dw.dwfl_module_nextcu(file.module(), cu, &bias)) != nullptr) {
    Dwarf_Lines* lines = nullptr;
    std::size_t count = 0;
    if (dw.dwarf_getsrclines(cu, &lines, &count) != 0) continue;
    out.has_lines = out.has_lines || count > 0;
    // Rows of one source name come in runs: decide the name once per run.
    const char* last_src = nullptr;
    bool last_match = false;
    for (std::size_t i = 0; i < count; ++i) {
      Dwarf_Line* row = dw.dwarf_onesrcline(lines, i);
      const char* src = row ? dw.dwarf_linesrc(row, nullptr, nullptr) : nullptr;
      if (!src) continue;
      if (src != last_src) {
        last_src = src;
        fs::path source = fs::path(src).lexically_normal();
        last_match = names_source(wanted, source);
        if (!last_match && source.filename() == wanted.filename())
          out.same_name.insert(source.string());
      }
      if (!last_match) continue;
      out.file_seen = true;
      int lineno = 0;
      bool end_sequence = false;
      if (dw.dwarf_lineno(row, &lineno) != 0 || lineno <= 0) continue;
      if (dw.dwarf_lineendsequence(row, &end_sequence) != 0 || end_sequence) continue;
      out.lines.insert(lineno);
      if (lineno != where.line || i + 1 >= count) continue;
      // A row's code reaches to the next row's address (the sequence's end row included).
      Dwarf_Addr lo = 0, hi = 0;
      if (dw.dwarf_lineaddr(row, &lo) != 0 ||
          dw.dwarf_lineaddr(dw.dwarf_onesrcline(lines, i + 1), &hi) != 0 || hi <= lo)
        continue;
      out.ranges.push_back({file.link_address(lo + bias), file.link_address(hi + bias)});
    }
  }
  out.ranges = merge(std::move(out.ranges));
  return out;
}

std::string line_miss(const fs::path& program, const FileLine& where, const LineLookup& l) {
  if (!l.has_lines) return program.string() + " has no line table (build it with -g)";
  if (!l.file_seen) {
    std::string m = "no source file " + where.file + " in the line table of " + program.string();
    if (!l.same_name.empty()) {
      m += " (it has";
      for (const auto& s : l.same_name) m += " " + s;
      m += ")";
    }
    return m;
  }
  std::string m = "no code at line " + std::to_string(where.line) + " of " + where.file + " in " +
                  program.string();
  auto above = l.lines.lower_bound(where.line);
  std::vector<int> near;
  if (above != l.lines.begin()) near.push_back(*std::prev(above));
  if (above != l.lines.end()) near.push_back(*above);
  if (!near.empty()) {
    m += " (nearest lines with code: " + std::to_string(near[0]);
    if (near.size() > 1) m += ", " + std::to_string(near[1]);
    m += ")";
  }
  return m;
}

std::string hex(std::uint64_t v) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  (void)ec;
  return std::string(buf, end);
}

// MODULE+0xOFFSET: the return address OFFSET in MODULE (a scenario program's basename, or the
// absolute path of any ELF file), matched exactly: [OFFSET-1, OFFSET) holds caller-1.
SiteResolution resolve_module_offset(const ModuleOffset& where,
                                     const std::vector<fs::path>& programs,
                                     const std::string& prefix) {
  SiteResolution result;
  auto fail = [&](std::string message) {
    result.ranges.clear();
    result.error = prefix + std::move(message);
    return result;
  };
  const std::string form = "write site=PROGRAM+0xOFFSET or site=/absolute/path/lib.so+0xOFFSET";
  if (!where.offset_ok)
    return fail(
        "OFFSET must be a hexadecimal number after +0x (as `faultline explore` prints "
        "it); " +
        form);
  if (where.offset == 0) return fail("OFFSET must be a return address, not 0; " + form);
  std::vector<fs::path> files;
  if (where.module.find('/') != std::string::npos) {
    if (!fs::path(where.module).is_absolute())
      return fail("MODULE " + where.module +
                  " must be an absolute path or the name of one of "
                  "the scenario's programs; " +
                  form);
    files.emplace_back(where.module);
  } else {
    std::vector<std::string> names;
    for (const fs::path& p : programs) {
      if (p.filename() == where.module) files.push_back(p);
      names.push_back(p.filename().string());
    }
    if (files.empty())
      return fail(
          "no program of the scenario is named " + where.module + " (" +
          (names.empty() ? std::string("it runs none") : "programs: " + join_words(names, ", ")) +
          "); name one of them, or write the absolute path of a library: " + form);
  }
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  for (const fs::path& path : files) {
    ProgramFile p = inspect(path);
    if (!p.skipped.empty()) return fail(p.skipped + "; MODULE must be an ELF file");
    if (!seen.insert({p.dev, p.ino}).second) continue;
    DwflFile file(path);
    if (!file.module()) return fail(file.error());
    auto [lo, hi] = file.span();
    if (where.offset - 1 < lo || where.offset > hi)
      return fail("0x" + hex(where.offset) + " lies outside " + path.string() +
                  " (its link-time addresses are 0x" + hex(lo) + "-0x" + hex(hi) +
                  "); was the program rebuilt since the offset was taken?");
    result.ranges.push_back({p.dev, p.ino, where.offset - 1, where.offset});
  }
  if (result.ranges.size() > FL_SITE_RANGES)
    return fail("names " + std::to_string(result.ranges.size()) + " different files, more than " +
                std::to_string(FL_SITE_RANGES) + "; write the absolute path of one");
  return result;
}

SiteResolution resolve_site_uncached(std::string_view site, const std::vector<fs::path>& programs);

// What makes a resolution still valid: the text, and each file it looked into as it is now.
std::string cache_key(std::string_view site, const std::vector<fs::path>& programs) {
  std::string key(site);
  auto add_file = [&key](const fs::path& path) {
    struct stat st {};
    key += '\0';
    key += path.string();
    if (::stat(path.c_str(), &st) != 0) {
      key += "\0-";
      return;
    }
    key += '\0' + std::to_string(st.st_dev) + ':' + std::to_string(st.st_ino) + ':' +
           std::to_string(st.st_size) + ':' + std::to_string(st.st_mtim.tv_sec) + '.' +
           std::to_string(st.st_mtim.tv_nsec);
  };
  for (const fs::path& p : programs) add_file(p);
  if (auto mo = split_module_offset(site); mo && mo->module.find('/') != std::string::npos)
    add_file(mo->module);
  return key;
}

}  // namespace

SiteResolution resolve_site(std::string_view site, const std::vector<fs::path>& programs) {
  if (site.find('<') != std::string_view::npos) {
    // A calling context: every frame must resolve; the ranges are the innermost frame's.
    SiteResolution inner;
    if (std::string problem = site_context_problem(site); !problem.empty()) {
      inner.error = problem.substr(0, problem.find('\n'));
      return inner;
    }
    const auto frames = site_context(site);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      SiteResolution r = resolve_site(frames[i], programs);
      if (!r.ok()) {
        inner.ranges.clear();
        inner.error = "site=" + std::string(site) + ": frame " + std::to_string(i + 1) +
                      " of the calling context: " + r.error;
        return inner;
      }
      if (i == 0) inner = std::move(r);
    }
    return inner;
  }
  // `faultline explore` runs one scenario hundreds of times with the same sites: each is
  // resolved once per process, again only when a file it looked into changed.
  static std::mutex mutex;
  static std::map<std::string, SiteResolution, std::less<>> cache;
  std::string key = cache_key(site, programs);
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  SiteResolution result = resolve_site_uncached(site, programs);
  std::lock_guard lock(mutex);
  if (cache.size() >= 256) cache.clear();
  cache.emplace(std::move(key), result);
  return result;
}

namespace {

SiteResolution resolve_site_uncached(std::string_view site, const std::vector<fs::path>& programs) {
  const std::string prefix = "site=" + std::string(site) + ": ";
  SiteResolution result;
  auto fail = [&](std::string message) {
    result.ranges.clear();
    result.error = prefix + std::move(message);
    return result;
  };
  if (site.empty())
    return fail("empty; write site=FUNCTION, site=FILE:LINE or site=PROGRAM+0xOFFSET");
  if (auto where = split_module_offset(site))
    return resolve_module_offset(*where, programs, prefix);
  std::optional<FileLine> where = split_file_line(site);
  if (where && where->line <= 0)
    return fail("LINE must be a line number from 1 on; write site=FILE:LINE or site=FUNCTION");

  std::vector<std::string> skipped, misses, lacking;  // lacking: programs without FUNCTION
  std::vector<std::string> similar;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  bool any_elf = false;
  for (const fs::path& path : programs) {
    ProgramFile p = inspect(path);
    if (!p.skipped.empty()) {
      skipped.push_back(p.skipped);
      continue;
    }
    any_elf = true;
    if (!seen.insert({p.dev, p.ino}).second) continue;
    DwflFile file(path);
    if (!file.module()) {
      misses.push_back(file.error());
      continue;
    }
    std::vector<Range> ranges;
    if (where) {
      LineLookup l = find_line(file, *where);
      if (l.ranges.empty()) misses.push_back(line_miss(path, *where, l));
      ranges = std::move(l.ranges);
    } else {
      FunctionLookup f = find_function(file, site);
      if (f.ranges.empty()) lacking.push_back(path.string());
      similar.insert(similar.end(), f.similar.begin(), f.similar.end());
      ranges = std::move(f.ranges);
    }
    for (const Range& r : ranges) result.ranges.push_back({p.dev, p.ino, r.lo, r.hi});
  }

  if (result.ranges.empty()) {
    if (programs.empty()) return fail("the scenario has no program to look for it in");
    if (!any_elf)
      return fail("no compiled program to look for it in (" + join_words(skipped, "; ") +
                  "); site= matches calls made by the code of ELF programs");
    if (!lacking.empty()) {
      std::string m = "no function " + std::string(site) + " in " + join_words(lacking, ", ") +
                      " (is it static and stripped? build with -g";
      if (!similar.empty()) m += "; similar: " + join_words(similar, ", ");
      misses.insert(misses.begin(), m + ")");
    }
    return fail(join_words(misses, "; "));
  }
  if (result.ranges.size() > FL_SITE_RANGES)
    return fail("resolves to " + std::to_string(result.ranges.size()) +
                " separate code ranges, more than the " + std::to_string(FL_SITE_RANGES) +
                " (FL_SITE_RANGES) one fault can hold; name a function, or a line compiled in "
                "fewer places or programs");
  return result;
}

// A row of a program's line table: the code from `addr` (a Dwfl address) up to the next
// row's address is of `src`:`line`; an end-of-sequence row starts no code.
struct LineRow {
  Dwarf_Addr addr = 0;
  bool end_sequence = false;
  const char* src = nullptr;  // libdw's, valid as long as the file's Dwfl
  int line = 0;
};

// Every row of every CU of `file`, by address (an end of sequence before a row that starts at
// the same address). For the programs in which dwfl_module_getsrc finds no CU: it looks the
// address up in .debug_aranges, which clang does not write (gcc does), and libdw 0.188
// (Debian 12) makes none up from the CUs ("address out of range"): a clang-built program had
// no source line at any call site.
std::vector<LineRow> line_rows(const DwflFile& file) {
  std::vector<LineRow> rows;
  const LibDw& dw = libdw();
  Dwarf_Addr bias = 0;
  if (!dw.dwfl_module_getdwarf(file.module(), &bias)) return rows;
  Dwarf_Die* cu = nullptr;
  while ((cu = dw.dwfl_module_nextcu(file.module(), cu, &bias)) != nullptr) {
    Dwarf_Lines* lines = nullptr;
    std::size_t count = 0;
    if (dw.dwarf_getsrclines(cu, &lines, &count) != 0) continue;
    for (std::size_t i = 0; i < count; ++i) {
      Dwarf_Line* row = dw.dwarf_onesrcline(lines, i);
      LineRow r;
      if (!row || dw.dwarf_lineaddr(row, &r.addr) != 0 ||
          dw.dwarf_lineendsequence(row, &r.end_sequence) != 0)
        continue;
      r.addr += bias;
      if (!r.end_sequence) {
        r.src = dw.dwarf_linesrc(row, nullptr, nullptr);
        if (dw.dwarf_lineno(row, &r.line) != 0) r.line = 0;
      }
      rows.push_back(r);
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const LineRow& a, const LineRow& b) {
    return a.addr != b.addr ? a.addr < b.addr : a.end_sequence && !b.end_sequence;
  });
  return rows;
}

// The row whose code holds `pc`, or nullptr.
const LineRow* row_at(const std::vector<LineRow>& rows, Dwarf_Addr pc) {
  auto after = std::upper_bound(rows.begin(), rows.end(), pc,
                                [](Dwarf_Addr a, const LineRow& r) { return a < r.addr; });
  if (after == rows.begin()) return nullptr;
  const LineRow& row = *std::prev(after);
  return row.end_sequence ? nullptr : &row;
}

}  // namespace

struct Symbolizer::Files {
  struct Opened {
    std::unique_ptr<DwflFile> file;
    std::optional<std::vector<LineRow>> rows;  // made on the first miss of dwfl_module_getsrc
  };
  std::map<std::string, Opened> open;
};

Symbolizer::Symbolizer() : files_(std::make_unique<Files>()) {}
Symbolizer::~Symbolizer() = default;

Symbolizer::Code Symbolizer::at_return_address(const fs::path& module, std::uint64_t offset) {
  Code out;
  if (offset == 0 || module.empty()) return out;
  auto& slot = files_->open[module.string()];
  if (!slot.file) slot.file = std::make_unique<DwflFile>(module);
  const DwflFile& file = *slot.file;
  if (!file.module()) return out;
  const LibDw& dw = libdw();
  // Inside the call instruction: the return address may be the next function's first byte.
  const Dwarf_Addr pc = file.dwfl_address(offset - 1);
  GElf_Sym sym;
  GElf_Off off = 0;
  const char* name =
      dw.dwfl_module_addrinfo(file.module(), pc, &off, &sym, nullptr, nullptr, nullptr);
  if (name && *name) {
    std::string d = std::string_view(name).starts_with("_Z") ? demangle(name) : std::string();
    out.function = d.empty() ? std::string(name) : d;
  }
  const char* src = nullptr;
  int lineno = 0;
  if (Dwfl_Line* line = dw.dwfl_module_getsrc(file.module(), pc)) {
    src = dw.dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
  } else {
    if (!slot.rows) slot.rows = line_rows(file);
    if (const LineRow* row = row_at(*slot.rows, pc)) {
      src = row->src;
      lineno = row->line;
    }
  }
  if (src && lineno > 0)
    out.location = fs::path(src).filename().string() + ":" + std::to_string(lineno);
  return out;
}

}  // namespace faultline
