// Overloaded{lambdas...}: one visitor for std::visit from one lambda per alternative.
#pragma once

namespace faultline {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

}  // namespace faultline
