#include "binding/registry.h"

#include <algorithm>
#include <string>
#include <vector>

namespace tf {
namespace {

struct Entry {
  std::string name;
  BindingInit fn;
};

// Function-local static: registrars in other files may run before this file's statics.
std::vector<Entry>& entries() {
  static std::vector<Entry> list;
  return list;
}

}  // namespace

BindingRegistrar::BindingRegistrar(const char* name, BindingInit fn) { entries().push_back({name, fn}); }

void init_bindings(Napi::Env env, Napi::Object exports) {
  auto list = entries();
  std::sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  for (size_t i = 1; i < list.size(); ++i)
    if (list[i].name == list[i - 1].name)
      throw Napi::Error::New(env, "twinforge_native: binding '" + list[i].name + "' registered twice");
  Napi::Array names = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    bind::guarded(env, [&] {
      list[i].fn(env, exports);
      return env.Undefined();
    });
    names.Set(static_cast<uint32_t>(i), Napi::String::New(env, list[i].name));
  }
  exports.Set("bindings", names);
}

}  // namespace tf
