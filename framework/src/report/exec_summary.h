// What `faultline exec` prints on stderr once the program has ended: each fault with its
// fire count and the events it injected, why nothing fired, and how the program ended.
#pragma once

#include <ostream>

#include "faultline/run_result.h"

namespace faultline {

// Every line starts with "faultline: ". `quiet` (-q) leaves out the faults and events and
// keeps only what went wrong with the run itself (a hang, a program that did not start).
void print_exec_summary(std::ostream& out, const ScenarioResult& r, bool quiet);

}  // namespace faultline
