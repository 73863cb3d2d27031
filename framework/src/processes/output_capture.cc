// See output_capture.h.
#include "processes/output_capture.h"

namespace faultline {

OutputCapture::OutputCapture(std::size_t cap, std::size_t max_line)
    : cap_(cap), max_line_(max_line) {}

void OutputCapture::append(std::string_view data, const LineSink& sink) {
  text_.append(data);
  // Trim only once the buffer is twice the cap, so that trimming stays amortised O(1).
  if (text_.size() > 2 * cap_) text_.erase(0, text_.size() - cap_);
  while (!data.empty()) {
    std::size_t nl = data.find('\n');
    std::string_view piece = data.substr(0, nl);
    std::size_t room = max_line_ - partial_.size();
    if (piece.size() > room) {
      partial_.append(piece.substr(0, room));
      sink(partial_);
      partial_.clear();
      data.remove_prefix(room);
      continue;
    }
    partial_.append(piece);
    if (nl == std::string_view::npos) break;
    sink(partial_);
    partial_.clear();
    data.remove_prefix(nl + 1);
  }
}

void OutputCapture::finish(const LineSink& sink) {
  if (!partial_.empty()) sink(partial_);
  partial_.clear();
}

std::string OutputCapture::take_text() {
  if (text_.size() > cap_) text_.erase(0, text_.size() - cap_);
  std::string text = std::move(text_);
  text_.clear();
  return text;
}

}  // namespace faultline
