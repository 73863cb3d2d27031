// Overloaded{lambdas...}: one visitor for std::visit from one lambda per alternative.
#pragma once

namespace faultline {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
// C++20 deduces this for aggregates; clang before 17 (Debian's 14, which builds the fuzz and
// sanitizer builds) still needs the guide.
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace faultline
