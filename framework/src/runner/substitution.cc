// ${...} substitution; see substitution.h.
#include "runner/substitution.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "channels/channel.h"
#include "util/did_you_mean.h"
#include "util/join_words.h"

namespace faultline {
namespace {

constexpr std::string_view kEnvPrefix = "env.";
constexpr std::string_view kDefaultSeparator = ":-";

// env.VAR or env.VAR:-DEFAULT, split.
struct EnvReference {
  std::string variable;
  std::optional<std::string> fallback;
};

EnvReference parse_env(std::string_view name) {
  std::string_view rest = name.substr(kEnvPrefix.size());
  auto sep = rest.find(kDefaultSeparator);
  if (sep == std::string_view::npos) return {std::string(rest), std::nullopt};
  return {std::string(rest.substr(0, sep)),
          std::string(rest.substr(sep + kDefaultSeparator.size()))};
}

// The value of env.VAR: set and not empty, else the default (as the shell's ${VAR:-x}).
std::optional<std::string> env_value(const EnvReference& ref) {
  const char* v = std::getenv(ref.variable.c_str());
  if (v && *v) return std::string(v);
  if (ref.fallback) return ref.fallback;
  if (v) return std::string();
  return std::nullopt;
}

std::string unset_message(const EnvReference& ref) {
  return fmt::format("environment variable {} is not set (in ${{env.{}}})", ref.variable,
                     ref.variable);
}

std::string unset_hint(const EnvReference& ref) {
  return fmt::format("set it, or give a default: ${{env.{}:-DEFAULT}}", ref.variable);
}

// Calls `visit(name)` for each ${name} of `text`; returns an error for a ${ without }.
template <typename Visit>
std::string for_each_reference(std::string_view text, Visit&& visit) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '$') continue;
    if (text[i + 1] == '$') {
      ++i;
      continue;
    }
    if (text[i + 1] != '{') continue;
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) return "unterminated ${ in \"" + std::string(text) + "\"";
    visit(text.substr(i + 2, close - i - 2));
    i = close;
  }
  return {};
}

}  // namespace

void Substitutions::set(std::string name, std::string value) {
  values_[std::move(name)] = std::move(value);
}

bool Substitutions::expand(std::string_view text, std::string& out, std::string& error) const {
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error = "unterminated ${ in \"" + std::string(text) + "\"";
      return false;
    }
    std::string_view name = text.substr(i + 2, close - i - 2);
    if (name.substr(0, kEnvPrefix.size()) == kEnvPrefix) {
      EnvReference ref = parse_env(name);
      auto value = env_value(ref);
      if (!value) {
        error = unset_message(ref) + "; " + unset_hint(ref);
        return false;
      }
      out += *value;
    } else if (auto it = values_.find(name); it != values_.end()) {
      out += it->second;
    } else {
      error = "unknown substitution ${" + std::string(name) + "}";
      return false;
    }
    i = close;
  }
  return true;
}

std::vector<SubstitutionProblem> check_references(std::string_view text, const Scenario& scenario) {
  std::vector<SubstitutionProblem> out;
  std::vector<std::string_view> channel_names;
  for (const auto& c : scenario.channels) channel_names.push_back(c.name);
  std::string unterminated = for_each_reference(text, [&](std::string_view name) {
    const std::string ref = "${" + std::string(name) + "}";
    if (name.substr(0, kEnvPrefix.size()) == kEnvPrefix) {
      EnvReference env = parse_env(name);
      if (env.variable.empty())
        out.push_back({fmt::format("{} names no environment variable", ref),
                       "write ${env.VAR} or ${env.VAR:-DEFAULT}"});
      else if (!env_value(env))
        out.push_back({unset_message(env), unset_hint(env)});
      return;
    }
    auto dot = name.find('.');
    if (dot == std::string_view::npos) {
      if (name == "run_dir" || name == "scenario_dir") return;
      std::string hint = did_you_mean(name, {"run_dir", "scenario_dir"});
      out.push_back({fmt::format("unknown substitution {}", ref),
                     hint.empty() ? "substitutions are ${CHANNEL.ATTR}, ${run_dir}, "
                                    "${scenario_dir} and ${env.VAR}"
                                  : hint});
      return;
    }
    const std::string_view channel = name.substr(0, dot);
    const std::string_view attr = name.substr(dot + 1);
    auto spec = std::find_if(scenario.channels.begin(), scenario.channels.end(),
                             [&](const ChannelSpec& c) { return c.name == channel; });
    if (spec == scenario.channels.end()) {
      std::string hint = did_you_mean(channel, channel_names);
      if (hint.empty() && scenario.process(channel))
        hint = fmt::format("'{}' is a process; substitutions name channels", channel);
      if (hint.empty())
        hint = channel_names.empty() ? std::string("the scenario declares no channels")
                                     : "the channels are: " + join_some_words(channel_names);
      out.push_back({fmt::format("unknown channel '{}' in {}", channel, ref), hint});
      return;
    }
    std::vector<std::string> attrs = channel_attribute_names(*spec);
    if (std::find(attrs.begin(), attrs.end(), attr) != attrs.end()) return;
    std::vector<std::string_view> attr_views(attrs.begin(), attrs.end());
    std::string hint = did_you_mean(attr, attr_views);
    if (hint.empty())
      hint = attrs.empty() ? fmt::format("channel '{}' has no attributes", channel)
                           : fmt::format("channel '{}' has: {}", channel, join_words(attr_views));
    out.push_back(
        {fmt::format("channel '{}' has no attribute '{}' (in {})", channel, attr, ref), hint});
  });
  if (!unterminated.empty()) out.push_back({unterminated, "close it with }, or write $$ for $"});
  return out;
}

}  // namespace faultline
