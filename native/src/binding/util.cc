#include "binding/util.h"

#include <cmath>
#include <limits>
#include <new>

namespace tf {
namespace bind {
namespace {

Napi::Error make(Napi::Env env, ErrorKind kind, const std::string& code, const std::string& message,
                 const std::string& argument) {
  Napi::Error err = kind == ErrorKind::TypeError    ? Napi::TypeError::New(env, message)
                    : kind == ErrorKind::RangeError ? Napi::RangeError::New(env, message)
                                                    : Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  if (!argument.empty()) err.Set("argument", Napi::String::New(env, argument));
  return err;
}

}  // namespace

Napi::Error js_error(Napi::Env env, std::exception_ptr ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const Napi::Error& e) {
    return e;
  } catch (const tf::Error& e) {
    return make(env, e.kind(), e.code(), e.what(), e.argument());
  } catch (const std::bad_alloc&) {
    return make(env, ErrorKind::Error, "INTERNAL", "out of memory in the native core", "");
  } catch (const std::exception& e) {
    return make(env, ErrorKind::Error, "INTERNAL", std::string("native core: ") + e.what(), "");
  } catch (...) {
    return make(env, ErrorKind::Error, "INTERNAL", "native core: unknown exception", "");
  }
}

void throw_type(const std::string& argument, const std::string& message) {
  throw tf::Error("BAD_INPUT", message, ErrorKind::TypeError, argument);
}
void throw_range(const std::string& argument, const std::string& message) {
  throw tf::Error("BAD_INPUT", message, ErrorKind::RangeError, argument);
}

Napi::Function function(Napi::Env env, const char* name, Callback cb) {
  return Napi::Function::New(
      env, [cb](const Napi::CallbackInfo& info) -> Napi::Value { return guarded(info.Env(), [&] { return cb(info); }); },
      name);
}

double number(Napi::Value v, const std::string& argument) {
  if (!v.IsNumber()) throw_type(argument, argument + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw_range(argument, argument + " must be finite");
  return d;
}

size_t size_value(Napi::Value v, const std::string& argument) {
  double d = number(v, argument);
  if (d < 0 || d != std::floor(d) || d > 9007199254740992.0)
    throw_range(argument, argument + " must be a non-negative integer");
  return static_cast<size_t>(d);
}

int64_t int_value(Napi::Value v, const std::string& argument) {
  double d = number(v, argument);
  if (d != std::floor(d) || std::fabs(d) > 9007199254740992.0) throw_range(argument, argument + " must be an integer");
  return static_cast<int64_t>(d);
}

bool boolean(Napi::Value v, const std::string& argument) {
  if (!v.IsBoolean()) throw_type(argument, argument + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string string(Napi::Value v, const std::string& argument) {
  if (!v.IsString()) throw_type(argument, argument + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Object object(Napi::Value v, const std::string& argument) {
  if (!v.IsObject() || v.IsArray()) throw_type(argument, argument + " must be an object");
  return v.As<Napi::Object>();
}

Napi::Array array(Napi::Value v, const std::string& argument) {
  if (!v.IsArray()) throw_type(argument, argument + " must be an array");
  return v.As<Napi::Array>();
}

size_t opt_size(Napi::Object opts, const char* key, size_t fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  return size_value(v, key);
}

double opt_number(Napi::Object opts, const char* key, double fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  return number(v, key);
}

size_t checked_product(size_t a, size_t b, const std::string& argument) {
  if (a != 0 && b > std::numeric_limits<size_t>::max() / a) throw_range(argument, argument + ": shape product overflows");
  return a * b;
}

void require_length(size_t len, size_t expected, const std::string& argument) {
  if (len != expected)
    throw_range(argument, argument + " has length " + std::to_string(len) + ", expected " + std::to_string(expected));
}

void require_args(const Napi::CallbackInfo& info, size_t n, const char* fn_name) {
  if (info.Length() < n)
    throw tf::Error("BAD_INPUT", std::string(fn_name) + " needs " + std::to_string(n) + " arguments, got " +
                                     std::to_string(info.Length()),
                    ErrorKind::TypeError);
}

}  // namespace bind
}  // namespace tf
