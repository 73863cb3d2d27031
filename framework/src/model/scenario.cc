// The small helpers declared next to the Scenario data types; see faultline/scenario.h.
#include "faultline/scenario.h"

namespace faultline {
const ChannelSpec* Scenario::channel(std::string_view n) const {
  for (const auto& c : channels) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

const ProcessSpec* Scenario::process(std::string_view n) const {
  for (const auto& p : processes) {
    if (p.name == n) return &p;
  }
  return nullptr;
}

}  // namespace faultline
