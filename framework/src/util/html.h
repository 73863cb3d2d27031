// HTML for the self-contained reports (`--html FILE`): text escaped whatever a program
// printed, and the page around a report's body (one file: inline style, a little inline
// script, a Content-Security-Policy that allows nothing from outside).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace faultline {

// `text` as HTML text or attribute value: & < > " ' escaped; bytes that are not valid UTF-8
// and control characters other than tab, newline and carriage return become U+FFFD, so the
// page is valid UTF-8 whatever the processes wrote.
[[nodiscard]] std::string html_escape(std::string_view text);

// A whole page: doctype, UTF-8, the policy, the shared stylesheet, `title` (escaped here),
// `body` (HTML already) and the script of the copy buttons (`<button class="copy"
// data-copy="ID" hidden>`: shown by the script, so a page without scripts shows none).
[[nodiscard]] std::string html_page(std::string_view title, std::string_view body);

// Throws std::runtime_error when the file cannot be written.
void write_html_file(const std::filesystem::path& file, std::string_view page);

}  // namespace faultline
