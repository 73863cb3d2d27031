// Typed reads of YAML nodes with diagnostics; see yaml_reader.h.
#include "dsl/yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <regex>
#include <unordered_map>

#include "faults/call_table.h"
#include "util/did_you_mean.h"
#include "util/join_words.h"
#include "util/signal_names.h"

namespace faultline {

std::string_view node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Null:
      return "empty";
    case YAML::NodeType::Undefined:
      return "missing";
  }
  return "?";
}

bool is_identifier(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (s.empty() || !alpha(s.front())) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '-'; });
}

YamlReader::YamlReader(std::string file, Diagnostics& out) : file_(std::move(file)), out_(out) {}

SourceLocation YamlReader::at(const YAML::Node& node) const {
  SourceLocation where{file_, 0, 0};
  if (!node.IsDefined()) return where;
  YAML::Mark mark = node.Mark();
  if (mark.line >= 0) where.line = mark.line + 1;
  if (mark.column >= 0) where.column = mark.column + 1;
  return where;
}

void YamlReader::error(const SourceLocation& where, std::string message, std::string hint) {
  out_.push_back(Diagnostic{where, std::move(message), std::move(hint)});
}

Field YamlReader::item(const YAML::Node& node) const {
  return Field{"", node, node, at(node), at(node)};
}

Field YamlReader::root(const YAML::Node& node) const {
  Field f = item(node);
  // An empty document has no mark; point at the start of the file.
  if (f.key_at.line == 0) f.key_at = f.value_at = SourceLocation{file_, 1, 1};
  return f;
}

std::vector<Field> YamlReader::entries(const Field& map, std::string_view what,
                                       const std::vector<std::string_view>& known) {
  std::vector<Field> out;
  std::unordered_map<std::string, std::size_t> index;  // name -> its place in `out`
  if (map.value.IsNull()) return out;
  if (!map.value.IsMap()) {
    error(map.value_at,
          fmt::format("{} must be a map (key: value), not {}", what, node_kind(map.value)),
          "indent its keys below it, or write { key: value, ... }");
    return out;
  }
  for (auto it = map.value.begin(); it != map.value.end(); ++it) {
    Field f{"", it->first, it->second, at(it->first), at(it->second)};
    if (!it->first.IsScalar()) {
      error(f.key_at,
            fmt::format("a key in {} must be a plain name, not {}", what, node_kind(it->first)),
            "write key: value");
      continue;
    }
    f.name = it->first.Scalar();
    // A missing value has the position of whatever follows; the key is where the user looks.
    if (f.value.IsNull() || f.value_at.line == 0) f.value_at = f.key_at;
    if (!known.empty() && std::find(known.begin(), known.end(), f.name) == known.end()) {
      std::string suggestion = did_you_mean(f.name, known);
      error(f.key_at, fmt::format("unknown key '{}' in {}", f.name, what),
            suggestion.empty() ? "the keys here are: " + join_words(known) : suggestion);
      continue;
    }
    // Looked up, not searched: a map of 100,000 keys (env:, processes:) loads in linear time.
    if (auto first = index.find(f.name); first != index.end()) {
      error(f.key_at, fmt::format("'{}' is given twice in {}", f.name, what),
            fmt::format("keep only one; the first is at line {}", out[first->second].key_at.line));
      continue;
    }
    index.emplace(f.name, out.size());
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Field> YamlReader::items(const Field& list, std::string_view what) {
  std::vector<Field> out;
  if (list.value.IsNull()) return out;
  if (list.value.IsScalar()) {
    out.push_back(list);
    return out;
  }
  if (!list.value.IsSequence()) {
    error(list.value_at, fmt::format("{} must be a list, not {}", what, node_kind(list.value)),
          "write [a, b] or one '- item' per line");
    return out;
  }
  for (const auto& node : list.value) out.push_back(item(node));
  return out;
}

std::optional<std::string> YamlReader::scalar(const Field& f, std::string_view what) {
  if (f.value.IsScalar()) return f.value.Scalar();
  if (f.value.IsNull()) {
    error(f.value_at, fmt::format("{} needs a value", what), "write it after the ':'");
  } else {
    error(f.value_at, fmt::format("{} must be a single value, not {}", what, node_kind(f.value)),
          "write a plain value (quote it if it contains ':' or '#')");
  }
  return std::nullopt;
}

std::optional<std::uint64_t> YamlReader::unsigned_number(const Field& f, std::string_view what,
                                                         std::uint64_t min) {
  auto text = scalar(f, what);
  if (!text) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v < min) {
    error(f.value_at, fmt::format("{} must be a whole number >= {}, got '{}'", what, min, *text),
          fmt::format("write e.g. {}: {}", f.name.empty() ? what : f.name,
                      std::max<std::uint64_t>(min, 1)));
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> YamlReader::duration(const Field& f, std::string_view what) {
  auto text = scalar(f, what);
  if (!text) return std::nullopt;
  auto d = parse_duration(*text);
  if (!d) {
    bool bare_number = !text->empty() && std::all_of(text->begin(), text->end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.';
    });
    error(f.value_at, fmt::format("{}: '{}' is not a duration", what, *text),
          bare_number
              ? fmt::format("add a unit, e.g. {}s or {}ms (units: ns, us, ms, s, m)", *text, *text)
              : "write a number with a unit: 250ms, 10s, 1.5s, 2m (units: ns, us, ms, s, m)");
  }
  return d;
}

std::optional<int> YamlReader::signal(const Field& f, std::string_view what) {
  auto text = scalar(f, what);
  if (!text) return std::nullopt;
  auto sig = signal_from_name(*text);
  if (!sig) {
    error(f.value_at, fmt::format("{}: '{}' is not a signal", what, *text),
          "write a signal name (SIGTERM or TERM) or its number (15)");
  }
  return sig;
}

std::optional<std::string> YamlReader::regex(const Field& f, std::string_view what) {
  auto text = scalar(f, what);
  if (!text) return std::nullopt;
  try {
    std::regex compiled(*text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    error(f.value_at,
          fmt::format("{}: '{}' is not a valid regular expression: {}", what, *text, e.what()),
          "use ECMAScript syntax (as in JavaScript); escape special characters such as ( [ . * "
          "with a backslash, or use contains: for plain text");
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> YamlReader::choice(const Field& f, std::string_view what,
                                              const std::vector<std::string_view>& choices) {
  auto text = scalar(f, what);
  if (!text) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *text) != choices.end()) return text;
  std::string suggestion = did_you_mean(*text, choices);
  error(
      f.value_at,
      fmt::format("{} must be one of {}, got '{}'", what, join_words(choices, ", "), *text),
      suggestion.empty() ? fmt::format("write one of: {}", join_words(choices, ", ")) : suggestion);
  return std::nullopt;
}

bool YamlReader::valid_name(const Field& f, std::string_view kind) {
  if (is_identifier(f.name)) return true;
  error(f.key_at, fmt::format("'{}' is not a valid {} name", f.name, kind),
        "use letters, digits, '_' and '-', starting with a letter or '_'");
  return false;
}

}  // namespace faultline
