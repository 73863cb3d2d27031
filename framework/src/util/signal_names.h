// Signal numbers <-> names ("SIGTERM"), for the DSL, the reports and the runner's messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// "SIGSEGV", "SEGV" or "11" -> 11; nullopt when it names no signal.
[[nodiscard]] std::optional<int> signal_from_name(std::string_view name);

// Every name signal_from_name knows, in signal order: "SIGHUP", "HUP", "SIGINT", "INT", ...
// (a signal is also accepted by its number, 1 to max_signal_number()).
[[nodiscard]] const std::vector<std::string>& signal_names();
[[nodiscard]] int max_signal_number();

// 11 -> "SIGSEGV"; a signal without a name (the real-time ones) as its number, "34", which
// signal_from_name reads back.
[[nodiscard]] std::string signal_name(int sig);

// For a sentence: "SIGSEGV", or "signal 34" for a signal without a name.
[[nodiscard]] std::string signal_in_words(int sig);

}  // namespace faultline
