// Module entry: every binding file registered itself with TF_BINDING (registry.h).
#include <napi.h>

#include "binding/registry.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tf::init_bindings(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(twinforge_native, Init)
