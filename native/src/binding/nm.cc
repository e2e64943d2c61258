// Binding of N:M masks (kernels/nm).
#include "binding/async_job.h"
#include "binding/registry.h"
#include "kernels/nm/nm.h"

namespace {

using tf::bind::size_value;
using tf::bind::typed;
using tf::bind::typed_len;

struct NmArgs {
  tf::Span<const float> scores;
  tf::Span<uint8_t> mask;
  tf::nm::Shape shape;
};

// (scores, rows, cols, n, m, axis, magnitude, mask)
NmArgs parse(const Napi::CallbackInfo& info) {
  NmArgs a;
  a.scores = typed<const float>(info[0], "scores");
  a.shape.rows = size_value(info[1], "rows");
  a.shape.cols = size_value(info[2], "cols");
  a.shape.n = int(tf::bind::int_value(info[3], "n"));
  a.shape.m = int(tf::bind::int_value(info[4], "m"));
  a.shape.axis = int(tf::bind::int_value(info[5], "axis"));
  a.shape.magnitude = tf::bind::boolean(info[6], "magnitude");
  tf::bind::require_length(a.scores.size, tf::bind::checked_product(a.shape.rows, a.shape.cols, "scores"), "scores");
  a.mask = typed_len<uint8_t>(info[7], a.scores.size, "mask");
  tf::nm::validate(a.shape);
  return a;
}

Napi::Value NmMask(const Napi::CallbackInfo& info) {
  NmArgs a = parse(info);
  tf::nm::nm_mask(a.scores.data, a.shape, a.mask.data);
  return info.Env().Undefined();
}

Napi::Value NmMaskAsync(const Napi::CallbackInfo& info) {
  NmArgs a = parse(info);
  tf::bind::AsyncSpec spec;
  spec.name = "twinforge.nmMask";
  spec.keep_alive = {info[0], info[7]};
  spec.on_progress = info[8];
  spec.work = [a](tf::JobControl& ctl) { tf::nm::nm_mask(a.scores.data, a.shape, a.mask.data, &ctl); };
  return tf::bind::run_async(info.Env(), std::move(spec));
}

}  // namespace

TF_BINDING(nm) {
  exports.Set("nmMask", tf::bind::function(env, "nmMask", NmMask));
  exports.Set("nmMaskAsync", tf::bind::function(env, "nmMaskAsync", NmMaskAsync));
}
