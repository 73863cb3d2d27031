// The JSON summary line; see summary.h.
#include "summary.h"

#include <nlohmann/json.hpp>

namespace faultline::peer {

std::string to_json_line(const Summary& s) {
  nlohmann::ordered_json j;
  j["peer"] = std::string(to_string(s.mode));
  j["type"] = std::string(to_string(s.type));
  j["sent"] = s.sent;
  j["received"] = s.received;
  j["lost"] = s.lost;
  j["duplicated"] = s.duplicated;
  j["reordered"] = s.reordered;
  j["corrupted"] = s.corrupted;
  j["intact"] = s.intact;
  j["errors"] = nlohmann::ordered_json::object();
  for (const auto& [name, count] : s.stats.errors) j["errors"][name] = count;
  j["short_transfers"] = s.stats.short_transfers;
  if (s.connections > 0) j["connections"] = s.connections;
  if (!s.error.empty()) j["error"] = s.error;
  return j.dump() + "\n";
}

}  // namespace faultline::peer
