// Shared helpers of the binding edge:
//  - argument checks that throw a JS TypeError / RangeError with err.code = 'BAD_INPUT' and
//    err.argument = the argument's name;
//  - guarded() / TF_TRY / function(): any C++ exception becomes a JS Error with a `code`
//    (tf::Error keeps its code, tf::Cancelled -> 'CANCELLED', std::bad_alloc -> 'INTERNAL'
//    "out of memory", anything else -> 'INTERNAL'): no exception crosses Node-API.
// Typed arrays are viewed, never copied: Span<T> points into the caller's buffer, which JS
// keeps alive for a synchronous call (async jobs keep their own references: async_job.h).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "common/error.h"

namespace tf {

template <typename T>
struct Span {
  T* data = nullptr;
  size_t size = 0;
  T& operator[](size_t i) const { return data[i]; }
  T* begin() const { return data; }
  T* end() const { return data + size; }
};

namespace bind {

// ---- errors ------------------------------------------------------------------------------

// A JS error value for a C++ exception (call inside a catch or with a captured exception_ptr).
Napi::Error js_error(Napi::Env env, std::exception_ptr ep);
// Throws tf::Error('BAD_INPUT', TypeError) naming the argument.
[[noreturn]] void throw_type(const std::string& argument, const std::string& message);
// Throws tf::Error('BAD_INPUT', RangeError) naming the argument.
[[noreturn]] void throw_range(const std::string& argument, const std::string& message);

// Runs fn(); converts any C++ exception other than Napi::Error into a thrown Napi::Error
// (which node-addon-api turns into a JS exception at the callback edge).
template <typename Fn>
Napi::Value guarded(Napi::Env env, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw js_error(env, std::current_exception());
  }
}

// A JS function whose body is guarded(): the usual way to export a binding.
using Callback = Napi::Value (*)(const Napi::CallbackInfo&);
Napi::Function function(Napi::Env env, const char* name, Callback cb);

// ---- argument checks --------------------------------------------------------------------

template <typename T>
struct TypedArrayTraits;
#define TF_TYPED(T, napi_type, js_name)                        \
  template <>                                                  \
  struct TypedArrayTraits<T> {                                 \
    static constexpr napi_typedarray_type type = napi_type;    \
    static constexpr const char* name = js_name;               \
  };
TF_TYPED(float, napi_float32_array, "Float32Array")
TF_TYPED(double, napi_float64_array, "Float64Array")
TF_TYPED(int8_t, napi_int8_array, "Int8Array")
TF_TYPED(uint8_t, napi_uint8_array, "Uint8Array")
TF_TYPED(int16_t, napi_int16_array, "Int16Array")
TF_TYPED(uint16_t, napi_uint16_array, "Uint16Array")
TF_TYPED(int32_t, napi_int32_array, "Int32Array")
TF_TYPED(uint32_t, napi_uint32_array, "Uint32Array")
#undef TF_TYPED

// Views `v` as a typed array of T; TypeError('BAD_INPUT') naming `argument` otherwise.
template <typename T>
Span<T> typed(Napi::Value v, const std::string& argument) {
  using Tr = TypedArrayTraits<std::remove_const_t<T>>;
  if (!v.IsTypedArray()) throw_type(argument, argument + " must be a " + Tr::name);
  auto ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != Tr::type) throw_type(argument, argument + " must be a " + Tr::name);
  auto arr = v.As<Napi::TypedArrayOf<std::remove_const_t<T>>>();
  Span<T> s;
  s.size = arr.ElementLength();
  s.data = s.size ? arr.Data() : nullptr;
  return s;
}
template <typename T>
Span<T> typed_arg(const Napi::CallbackInfo& info, size_t i, const std::string& argument) {
  return typed<T>(info[i], argument);
}
// Like typed() with an exact length requirement (RangeError otherwise).
template <typename T>
Span<T> typed_len(Napi::Value v, size_t expected, const std::string& argument) {
  Span<T> s = typed<T>(v, argument);
  if (s.size != expected)
    throw_range(argument, argument + " has length " + std::to_string(s.size) + ", expected " + std::to_string(expected));
  return s;
}

// A finite number.
double number(Napi::Value v, const std::string& argument);
// A non-negative integer <= 2^53 (sizes, counts, indices).
size_t size_value(Napi::Value v, const std::string& argument);
int64_t int_value(Napi::Value v, const std::string& argument);
bool boolean(Napi::Value v, const std::string& argument);
std::string string(Napi::Value v, const std::string& argument);
Napi::Object object(Napi::Value v, const std::string& argument);
Napi::Array array(Napi::Value v, const std::string& argument);
// opts[key] as the types above; `fallback` when absent/undefined.
size_t opt_size(Napi::Object opts, const char* key, size_t fallback);
double opt_number(Napi::Object opts, const char* key, double fallback);
// Throws RangeError('BAD_INPUT') when a*b overflows size_t or differs from `len`.
size_t checked_product(size_t a, size_t b, const std::string& argument);
void require_length(size_t len, size_t expected, const std::string& argument);

// Number of the call's arguments, RangeError when fewer than `n`.
void require_args(const Napi::CallbackInfo& info, size_t n, const char* fn_name);

}  // namespace bind
}  // namespace tf

// For hand-written callbacks: TF_TRY(env, { ...; return value; }) inside a Napi callback.
#define TF_TRY(env, ...) return ::tf::bind::guarded((env), [&]() -> Napi::Value { __VA_ARGS__ })
