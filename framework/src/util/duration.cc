// Parsing and printing of durations; see faultline/duration.h.
#include "faultline/duration.h"

#include <array>
#include <cstdint>
#include <limits>

#include "util/duration_units.h"

namespace faultline {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ns;
};
// Largest first: format_duration prefers the larger unit when two forms are equally short.
constexpr std::array<Unit, 5> kUnits{
    {{"m", 60'000'000'000}, {"s", 1'000'000'000}, {"ms", 1'000'000}, {"us", 1'000}, {"ns", 1}}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// value * 10^-scale in units of `unit_ns`, exactly in nanoseconds, or nullopt.
std::optional<std::int64_t> scaled(std::uint64_t digits, int scale, std::int64_t unit_ns) {
  // Work in unsigned 128-bit so 19 digits times a minute cannot overflow silently.
  unsigned __int128 v =
      static_cast<unsigned __int128>(digits) * static_cast<std::uint64_t>(unit_ns);
  for (int i = 0; i < scale; ++i) {
    if (v % 10 != 0) return std::nullopt;  // finer than a nanosecond
    v /= 10;
  }
  if (v > static_cast<unsigned __int128>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(v);
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  text = trim(text);
  std::uint64_t digits = 0;
  int scale = 0;
  std::size_t i = 0;
  bool any_digit = false;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (is_digit(c)) {
      if (digits > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return std::nullopt;
      digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
      any_digit = true;
      if (seen_point) ++scale;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!any_digit || (seen_point && scale == 0)) return std::nullopt;
  std::string_view unit = text.substr(i);
  for (const auto& u : kUnits) {
    if (unit == u.name) {
      auto ns = scaled(digits, scale, u.ns);
      if (!ns) return std::nullopt;
      return Duration(*ns);
    }
  }
  return std::nullopt;
}

const std::vector<std::string_view>& duration_units() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& u : kUnits) out.push_back(u.name);
    return out;
  }();
  return names;
}

std::string format_duration(Duration d) {
  std::int64_t ns = d.count();
  std::string sign;
  if (ns < 0) {
    sign = "-";
    ns = -ns;
  }
  if (ns == 0) return "0s";
  std::string best;
  for (const auto& u : kUnits) {
    std::int64_t whole = ns / u.ns;
    // "250ms" reads better than "0.25s": a unit larger than the value is never used.
    if (whole == 0) continue;
    std::int64_t rest = ns % u.ns;
    std::string text = std::to_string(whole);
    if (rest != 0) {
      // Decimal digits of rest/u.ns; exact only when u.ns divides rest * 10^k for small k.
      std::string frac;
      std::int64_t num = rest;
      int k = 0;
      for (; num != 0 && k < 10; ++k) {
        num *= 10;
        frac += static_cast<char>('0' + num / u.ns);
        num %= u.ns;
      }
      if (num != 0) continue;  // not a finite decimal in this unit (e.g. 100s in minutes)
      text += "." + frac;
    }
    text += u.name;
    if (best.empty() || text.size() < best.size()) best = text;
  }
  return sign + best;
}

}  // namespace faultline
