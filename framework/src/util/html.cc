// HTML escaping and the report page; see html.h.
#include "util/html.h"

#include <cstdint>
#include <fstream>
#include <stdexcept>

namespace faultline {
namespace {

// The length of the UTF-8 sequence at s[0..n) when it is a well-formed character (no
// overlong form, no surrogate, nothing above U+10FFFF) that a page may show, else 0.
std::size_t char_length(const unsigned char* s, std::size_t n) {
  const unsigned char c = s[0];
  if (c < 0x80) return c >= 0x20 ? (c == 0x7F ? 0 : 1) : (c == '\t' || c == '\n' || c == '\r');
  const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || len > n || c > 0xF4) return 0;
  std::uint32_t cp = c & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Shared by the run and explore reports: verdict colours are named once here.
constexpr std::string_view kStyle = R"css(
:root { --pass: #1a7f37; --fail: #cf222e; --setup: #9a6700; --muted: #57606a; --line: #d0d7de;
  --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
  padding: 1em 2em 3em; max-width: 1200px; color: #1f2328; }
h1 { font-size: 1.5em; margin: .2em 0 .5em; }
h2 { font-size: 1.2em; margin: 0 0 .4em; }
h3 { font-size: 1em; margin: 1em 0 .3em; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: var(--bg2); border: 1px solid var(--line); padding: .5em .7em; overflow: auto;
  max-height: 30em; white-space: pre-wrap; word-break: break-all; margin: .3em 0; }
table { border-collapse: collapse; margin: .3em 0; }
th, td { border: 1px solid var(--line); padding: .25em .55em; text-align: left;
  vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
section.scenario, section.exploration { border: 1px solid var(--line); border-left: 6px solid
  var(--muted); border-radius: 6px; padding: .8em 1.1em; margin: 1.2em 0; }
section[data-outcome="pass"] { border-left-color: var(--pass); }
section[data-outcome="fail"] { border-left-color: var(--fail); }
section[data-outcome="setup"] { border-left-color: var(--setup); }
section.scenario.exec { border-left-color: var(--muted); }
.badge { display: inline-block; padding: 0 .5em; border-radius: 4px; color: #fff;
  font-weight: 700; font-size: .85em; background: var(--muted); margin-right: .4em; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.setup { background: var(--setup); }
.meta { color: var(--muted); margin: .2em 0; }
.violations li.root-cause { font-weight: 600; }
.command { display: flex; align-items: center; gap: .5em; margin: .3em 0; }
.command code { background: var(--bg2); border: 1px solid var(--line); padding: .2em .5em;
  border-radius: 4px; word-break: break-all; }
button.copy { font: inherit; font-size: .85em; padding: .1em .6em; cursor: pointer; }
details { margin: .2em 0; } summary { cursor: pointer; color: var(--muted); }
svg.timeline { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px;
  background: #fff; }
svg.timeline text { font: 11px system-ui, sans-serif; fill: #1f2328; }
svg.timeline .axis { stroke: var(--line); } svg.timeline .tick { fill: var(--muted); }
svg.timeline .bar { fill: #8fb8e8; } svg.timeline .bar.fail { fill: #f4a4a8; }
svg.timeline .bar.hung { fill: #d8b4fe; } svg.timeline .bar.service { fill: #b6d7a8; }
svg.timeline .ready { stroke: var(--pass); stroke-width: 3; }
svg.timeline .fault-marker path { fill: var(--fail); stroke: #fff; stroke-width: 1; }
svg.timeline .violation-marker line { stroke: var(--fail); stroke-width: 2;
  stroke-dasharray: 4 3; }
.legend .count { display: inline-block; margin-right: 1em; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  vertical-align: middle; margin-right: .3em; border: 1px solid rgba(0,0,0,.15); }
[data-verdict="crash"] { --v: #82071e; } [data-verdict="hang"] { --v: #8250df; }
[data-verdict="silent wrong result"] { --v: #cf222e; } [data-verdict="leak"] { --v: #bc4c00; }
[data-verdict="propagated"] { --v: #e16f24; } [data-verdict="not absorbed"] { --v: #fb8f44; }
[data-verdict="unexplained failure"] { --v: #d4a72c; } [data-verdict="clean failure"] { --v: #a5d6a7; }
[data-verdict="stranded"] { --v: #bf8700; } [data-verdict="absorbed"] { --v: #1a7f37; }
[data-verdict="unreached"] { --v: #d0d7de; } [data-verdict="unrealistic"] { --v: #eaeef2; }
[data-verdict="setup"] { --v: #9a6700; } [data-verdict="not-run"] { --v: #fff; }
.swatch, .point { background: var(--v, #fff); }
table.matrix td.cell { white-space: nowrap; padding: .2em .3em; }
table.matrix th.site { font-weight: normal; max-width: 32em; }
.point { display: inline-block; width: 14px; height: 14px; margin: 1px; border-radius: 2px;
  border: 1px solid rgba(0,0,0,.2); vertical-align: middle; }
.point[data-verdict="not-run"] { border-style: dashed; }
li.finding { margin: .6em 0; }
.finding .verdict { font-weight: 700; color: var(--fail); }
)css";

constexpr std::string_view kScript = R"js(
'use strict';
function selectText(el) {
  var range = document.createRange();
  range.selectNodeContents(el);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
document.querySelectorAll('button.copy').forEach(function (button) {
  var target = document.getElementById(button.dataset.copy);
  if (!target) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    var text = target.textContent;
    var copied = function () {
      button.textContent = 'copied';
      setTimeout(function () { button.textContent = 'copy'; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText)
      navigator.clipboard.writeText(text).then(copied, function () { selectText(target); });
    else
      selectText(target);
  });
});
)js";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = char_length(s + i, text.size() - i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD, one per byte that is not part of a character
      ++i;
      continue;
    }
    if (len == 1) {
      switch (text[i]) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          out += text[i];
      }
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string html_page(std::string_view title, std::string_view body) {
  std::string page;
  page.reserve(body.size() + kStyle.size() + kScript.size() + 512);
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing from outside: no script, style, font, image or connection but what is inline.
  page +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; "
      "form-action 'none'\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<meta name=\"generator\" content=\"faultline\">\n";
  page += "<title>" + html_escape(title) + "</title>\n<style>";
  page += kStyle;
  page += "</style>\n</head>\n<body>\n";
  page += body;
  page += "\n<script>";
  page += kScript;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

void write_html_file(const std::filesystem::path& file, std::string_view page) {
  std::ofstream out(file, std::ios::binary);
  out.write(page.data(), static_cast<std::streamsize>(page.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace faultline
