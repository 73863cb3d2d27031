// Overloaded{lambdas...}: one visitor for std::visit from one lambda per alternative.
#pragma once

namespace faultline {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
// Spelled out for clang before 17, which does not deduce an aggregate's arguments (P1816).
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace faultline
