// The JSON readers (`faultline report`, `merge`, run -j's read-back of a worker's result) take
// numbers with get<int>(), get<std::uint64_t>() and std::chrono casts. nlohmann converts a
// floating point number to an integer with a cast, which is undefined behaviour when it is out
// of the type's range (1e57 read as a count; found by fuzz_result_json), and so is a duration
// in milliseconds too big for std::chrono::nanoseconds. faultline writes floats only for
// times in milliseconds, under keys that end in "_ms" (or in the object under such a key,
// `timings_ms`); so the document is rejected before any field is read when a float there is
// beyond 9e12 ms (285 years, which std::chrono::nanoseconds holds), or a float anywhere else
// is beyond int's range (which every integer field holds).
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline {

// The first floating point number in `j` (at any depth) out of the range its key allows, as
// JSON text; "" when there is none. Iterative: a deeply nested document cannot exhaust the
// stack here.
inline std::string json_float_out_of_range(const nlohmann::json& j) {
  constexpr double kMaxMilliseconds = 9e12;  // 9e18 ns < INT64_MAX
  constexpr double kIntMin = -2147483648.0, kIntMax = 2147483647.0;
  std::vector<std::pair<const nlohmann::json*, bool>> todo{{&j, false}};  // (value, is_ms)
  while (!todo.empty()) {
    auto [v, is_ms] = todo.back();
    todo.pop_back();
    if (v->is_number_float()) {
      const double d = v->get<double>();
      const bool fits = std::isfinite(d) &&
                        (is_ms ? std::fabs(d) <= kMaxMilliseconds : d >= kIntMin && d <= kIntMax);
      if (!fits) return v->dump();
    } else if (v->is_object()) {
      for (const auto& [key, item] : v->items()) {
        const bool ms = is_ms || (key.size() > 3 && std::string_view(key).ends_with("_ms"));
        todo.emplace_back(&item, ms);
      }
    } else if (v->is_array()) {
      for (const auto& item : *v) todo.emplace_back(&item, is_ms);
    }
  }
  return {};
}

}  // namespace faultline
