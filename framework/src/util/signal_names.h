// Signal numbers <-> names ("SIGTERM"), for the DSL, the reports and the runner's messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline {

// "SIGSEGV", "SEGV" or "11" -> 11; nullopt when it names no signal.
[[nodiscard]] std::optional<int> signal_from_name(std::string_view name);

// 11 -> "SIGSEGV"; a signal without a name (the real-time ones) as its number, "34", which
// signal_from_name reads back.
[[nodiscard]] std::string signal_name(int sig);

// For a sentence: "SIGSEGV", or "signal 34" for a signal without a name.
[[nodiscard]] std::string signal_in_words(int sig);

}  // namespace faultline
