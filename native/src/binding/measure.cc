// Binding of the timed measuring calls (kernels/measure): measure(kernel, params) and
// measureAsync(kernel, params, onProgress) -> {seconds, minSeconds, bytes, flops, repeats, isa,
// maxRelError?}. All timing happens inside C++ (median of repeats).
#include <memory>

#include "binding/async_job.h"
#include "binding/registry.h"
#include "kernels/measure/measure.h"

namespace {

using tf::bind::opt_number;
using tf::bind::opt_size;

tf::measure::Spec parse(const Napi::CallbackInfo& info) {
  tf::measure::Spec s;
  s.kernel = tf::bind::string(info[0], "kernel");
  Napi::Object p = info.Length() > 1 && !info[1].IsUndefined() ? tf::bind::object(info[1], "params") : Napi::Object::New(info.Env());
  s.m = opt_size(p, "m", s.m);
  s.n = opt_size(p, "n", s.n);
  s.k = opt_size(p, "k", s.k);
  s.density = opt_number(p, "density", s.density);
  s.nm_n = uint32_t(opt_size(p, "nmN", s.nm_n));
  s.nm_m = uint32_t(opt_size(p, "nmM", s.nm_m));
  s.br = opt_size(p, "blockRows", s.br);
  s.bc = opt_size(p, "blockCols", s.bc);
  s.bytes = opt_size(p, "bytes", s.bytes);
  s.repeats = int(opt_size(p, "repeats", size_t(s.repeats)));
  s.warmup = int(opt_size(p, "warmup", size_t(s.warmup)));
  s.seed = opt_size(p, "seed", s.seed);
  Napi::Value v = p.Get("verify");
  s.verify = v.IsUndefined() ? false : tf::bind::boolean(v, "verify");
  if (s.repeats < 1 || s.repeats > 100000) tf::bind::throw_range("repeats", "repeats must be in [1, 100000]");
  return s;
}

Napi::Object to_js(Napi::Env env, const tf::measure::Result& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("seconds", r.seconds);
  o.Set("minSeconds", r.min_seconds);
  o.Set("bytes", r.bytes);
  o.Set("flops", r.flops);
  o.Set("repeats", r.repeats);
  o.Set("isa", r.isa);
  if (r.max_rel_error >= 0) o.Set("maxRelError", r.max_rel_error);
  return o;
}

Napi::Value Measure(const Napi::CallbackInfo& info) {
  tf::measure::Spec s = parse(info);
  return to_js(info.Env(), tf::measure::run(s, tf::active_isa()));
}

Napi::Value MeasureAsync(const Napi::CallbackInfo& info) {
  tf::measure::Spec s = parse(info);
  const tf::Isa isa = tf::active_isa();
  auto res = std::make_shared<tf::measure::Result>();
  tf::bind::AsyncSpec spec;
  spec.name = "twinforge.measure";
  spec.on_progress = info[2];
  spec.work = [s, isa, res](tf::JobControl& ctl) { *res = tf::measure::run(s, isa, &ctl); };
  spec.done = [res](Napi::Env env) -> Napi::Value { return to_js(env, *res); };
  return tf::bind::run_async(info.Env(), std::move(spec));
}

}  // namespace

TF_BINDING(measure) {
  using tf::bind::function;
  exports.Set("measure", function(env, "measure", Measure));
  exports.Set("measureAsync", function(env, "measureAsync", MeasureAsync));
}
