// Self-registering binding files. Each native/src/binding/<group>.cc defines
//
//   TF_BINDING(solvers) { exports.Set("sparsegpt", tf::bind::function(env, "sparsegpt", SparseGpt)); }
//
// and addon.cc calls every registered init at module load, in name order: adding a binding is
// adding a file (the CMake glob picks it up), never editing addon.cc.
#pragma once
#include <napi.h>

#include "binding/util.h"

namespace tf {

using BindingInit = void (*)(Napi::Env env, Napi::Object exports);

struct BindingRegistrar {
  BindingRegistrar(const char* name, BindingInit fn);
};

// Runs every registered init (addon.cc). Throws Napi::Error naming a duplicate.
void init_bindings(Napi::Env env, Napi::Object exports);

}  // namespace tf

#define TF_BINDING(name)                                                                     \
  static void tf_binding_init_##name([[maybe_unused]] Napi::Env env,                         \
                                     [[maybe_unused]] Napi::Object exports);                 \
  static ::tf::BindingRegistrar tf_binding_registrar_##name(#name, &tf_binding_init_##name); \
  static void tf_binding_init_##name([[maybe_unused]] Napi::Env env, [[maybe_unused]] Napi::Object exports)
