// The keys of `peer:`, which follow the peer contract's table; see scenario_keys.h.
#include "dsl/scenario_keys.h"

#include "model/peer_contract.h"

namespace faultline {

const Words& peer_keys() {
  static const Words keys = [] {
    Words k{"mode", "channel"};
    for (const PeerSetting& s : peer_settings()) k.push_back(s.key);
    k.insert(k.end(), {"signal", "reply"});
    return k;
  }();
  return keys;
}

}  // namespace faultline
