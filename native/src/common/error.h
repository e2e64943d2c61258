// Errors thrown inside the native core. They carry the stable code of main/core/errors.ts so
// the binding edge can turn them into JS errors that keep `code` (no C++ exception crosses
// Node-API: see binding/util.h).
#pragma once
#include <stdexcept>
#include <string>

namespace tf {

// Which JS error class the binding should create.
enum class ErrorKind { Error, TypeError, RangeError };

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message, ErrorKind kind = ErrorKind::Error,
        std::string argument = {})
      : std::runtime_error(message), code_(std::move(code)), kind_(kind), argument_(std::move(argument)) {}
  const std::string& code() const { return code_; }
  ErrorKind kind() const { return kind_; }
  // The argument the message is about ("" when none): set as err.argument in JS.
  const std::string& argument() const { return argument_; }

 private:
  std::string code_;
  ErrorKind kind_;
  std::string argument_;
};

// Thrown by a kernel that saw its cancel flag (JobControl::check).
class Cancelled : public Error {
 public:
  Cancelled() : Error("CANCELLED", "cancelled") {}
};

// A caller mistake a kernel can only see while reading the data (e.g. a NaN weight).
inline Error bad_input(const std::string& message, const std::string& argument = {},
                       ErrorKind kind = ErrorKind::RangeError) {
  return Error("BAD_INPUT", message, kind, argument);
}

}  // namespace tf
