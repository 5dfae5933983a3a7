#pragma once
// Errors cross module edges as values: Result<T> is tl::expected<T, Error>.
// An Error carries a one-line message meant for a person; it never carries secrets.
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace trader {

struct Error {
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;

using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(std::string message) {
  return tl::unexpected<Error>(Error{std::move(message)});
}

}  // namespace trader
