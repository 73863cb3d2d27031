// One captured output stream of a process: keeps its tail (bounded memory for chatty
// programs) and cuts it into lines for live output and stdout readiness.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace faultline {

class OutputCapture final {
 public:
  using LineSink = std::function<void(std::string_view line)>;

  // Keeps the last `cap` bytes; a line longer than `max_line` is cut into pieces.
  explicit OutputCapture(std::size_t cap = std::size_t{1} << 20,
                         std::size_t max_line = std::size_t{64} << 10);

  // Adds data and hands every line it completes (without its '\n') to `sink`.
  void append(std::string_view data, const LineSink& sink);
  // Hands the unterminated last line, if any, to `sink` (at the end of the stream).
  void finish(const LineSink& sink);

  // The line written so far without its '\n' yet (a prompt such as "ready> ").
  [[nodiscard]] std::string_view partial_line() const { return partial_; }
  // The captured tail, at most `cap` bytes; the capture is empty afterwards.
  [[nodiscard]] std::string take_text();

 private:
  std::size_t cap_;
  std::size_t max_line_;
  std::string text_;
  std::string partial_;
};

}  // namespace faultline
