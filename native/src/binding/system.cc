// Addon-wide controls: which ISA the kernels use, how many threads, what was built.
#include "binding/registry.h"
#include "common/parallel.h"
#include "kernels/dispatch/cpu.h"

namespace {

Napi::Value Isa(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tf::isa_name(tf::active_isa()));
}

Napi::Value AvailableIsas(const Napi::CallbackInfo& info) {
  auto isas = tf::available_isas();
  Napi::Array out = Napi::Array::New(info.Env(), isas.size());
  for (size_t i = 0; i < isas.size(); ++i) out.Set(uint32_t(i), tf::isa_name(isas[i]));
  return out;
}

// setIsa(name) forces an ISA; setIsa(null) goes back to TWINFORGE_ISA / the best available.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (info.Length() == 0 || info[0].IsNull() || info[0].IsUndefined()) {
    tf::clear_forced_isa();
  } else {
    std::string name = tf::bind::string(info[0], "isa");
    tf::Isa isa;
    if (!tf::parse_isa(name.c_str(), &isa))
      tf::bind::throw_range("isa", "isa '" + name + "' is not one of " + tf::isa_names());
    tf::force_isa(isa);
  }
  return Isa(info);
}

Napi::Value Threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(tf::num_threads()));
}

// setThreads(n): 0 = back to TWINFORGE_THREADS / hardware concurrency.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  size_t n = tf::bind::size_value(info[0], "threads");
  if (n > 1024) tf::bind::throw_range("threads", "threads must be <= 1024");
  tf::set_num_threads(n);
  return Threads(info);
}

Napi::Value Arch(const Napi::CallbackInfo& info) {
#if defined(__x86_64__)
  return Napi::String::New(info.Env(), "x64");
#elif defined(__aarch64__)
  return Napi::String::New(info.Env(), "arm64");
#else
  return Napi::String::New(info.Env(), "unknown");
#endif
}

}  // namespace

TF_BINDING(system) {
  using tf::bind::function;
  exports.Set("isa", function(env, "isa", Isa));
  exports.Set("availableIsas", function(env, "availableIsas", AvailableIsas));
  exports.Set("setIsa", function(env, "setIsa", SetIsa));
  exports.Set("threads", function(env, "threads", Threads));
  exports.Set("setThreads", function(env, "setThreads", SetThreads));
  exports.Set("arch", function(env, "arch", Arch));
#ifdef TF_HAVE_CUDA
  exports.Set("cudaBuilt", Napi::Boolean::New(env, true));
#else
  exports.Set("cudaBuilt", Napi::Boolean::New(env, false));
#endif
}
