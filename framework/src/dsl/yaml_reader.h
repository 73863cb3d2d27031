// Typed reads of YAML nodes that turn every problem into a located Diagnostic, so the
// scenario loader can keep going and report all problems of a file at once.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/diagnostic.h"
#include "faultline/duration.h"

namespace faultline {

// One `key: value` of a map (or one item of a list, then `key` is the item itself).
struct Field {
  std::string name;  // the key as written; "" for list items
  YAML::Node key;
  YAML::Node value;
  SourceLocation key_at;
  SourceLocation value_at;  // the key's location when the value is empty
};

class YamlReader final {
 public:
  YamlReader(std::string file, Diagnostics& out);
  YamlReader(const YamlReader&) = delete;
  YamlReader& operator=(const YamlReader&) = delete;

  [[nodiscard]] SourceLocation at(const YAML::Node& node) const;
  void error(const SourceLocation& where, std::string message, std::string hint);

  // The entries of a map. Reports a node that is not a map, keys that are not in `known`
  // (with "did you mean"), and keys given twice; those entries are left out. An empty
  // `known` accepts every key. A null node is an empty map.
  [[nodiscard]] std::vector<Field> entries(const Field& map, std::string_view what,
                                           const std::vector<std::string_view>& known);
  // The items of a list; a single scalar counts as a list of one.
  [[nodiscard]] std::vector<Field> items(const Field& list, std::string_view what);
  [[nodiscard]] Field item(const YAML::Node& node) const;
  [[nodiscard]] Field root(const YAML::Node& node) const;

  // A scalar's text. `what` names the field in messages ("timeout", "processes.server.cwd").
  [[nodiscard]] std::optional<std::string> scalar(const Field& f, std::string_view what);
  [[nodiscard]] std::optional<std::uint64_t> unsigned_number(const Field& f, std::string_view what,
                                                             std::uint64_t min = 0);
  [[nodiscard]] std::optional<Duration> duration(const Field& f, std::string_view what);
  [[nodiscard]] std::optional<int> signal(const Field& f, std::string_view what);
  // A regular expression (std::regex ECMAScript), compiled here so a bad one fails at load.
  [[nodiscard]] std::optional<std::string> regex(const Field& f, std::string_view what);
  // One of `choices`, with "did you mean" otherwise.
  [[nodiscard]] std::optional<std::string> choice(const Field& f, std::string_view what,
                                                  const std::vector<std::string_view>& choices);
  // A process or channel name: [A-Za-z_][A-Za-z0-9_-]*.
  [[nodiscard]] bool valid_name(const Field& f, std::string_view kind);

 private:
  std::string file_;
  Diagnostics& out_;
};

[[nodiscard]] std::string_view node_kind(const YAML::Node& node);
[[nodiscard]] bool is_identifier(std::string_view s);

}  // namespace faultline
