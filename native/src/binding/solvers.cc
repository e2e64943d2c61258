// Binding of the calibration statistics and the layer solvers (kernels/hessian, kernels/solvers),
// with their CUDA variants (opts.device = 'cuda'). The GPTQ codes are handed to JS in the same
// layouts as the plain quantizers: int8 symmetric -> Int8Array; asymmetric -> Uint8Array plus
// zero points; 4-bit -> nibbles packed low first [rows, cols/2] (MatMulNBits B), symmetric codes
// offset by 8 (zero point 8, as quantizeInt4Groups writes them).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "binding/async_job.h"
#include "binding/registry.h"
#include "kernels/cuda/tf_cuda.h"
#include "kernels/hessian/hessian.h"
#include "kernels/solvers/solvers.h"

namespace {

using tf::bind::size_value;
using tf::bind::typed;
using tf::bind::typed_len;

bool want_cuda(Napi::Object o) {
  Napi::Value v = o.Get("device");
  if (v.IsUndefined()) return false;
  std::string d = tf::bind::string(v, "device");
  if (d != "cpu" && d != "cuda") tf::bind::throw_range("device", "device must be 'cpu' or 'cuda'");
  return d == "cuda";
}

// ---- Hessian / feature norms -----------------------------------------------------------------

struct HessArgs {
  tf::Span<float> h;
  tf::Span<const float> x;
  size_t n = 0, dim = 0;
  float alpha = 1.0f;
  bool cuda = false;
};

// (h, x, nSamples, dim, alpha, opts)
HessArgs parse_hess(const Napi::CallbackInfo& info) {
  HessArgs a;
  a.n = size_value(info[2], "nSamples");
  a.dim = size_value(info[3], "dim");
  a.h = typed_len<float>(info[0], tf::bind::checked_product(a.dim, a.dim, "h"), "h");
  a.x = typed_len<const float>(info[1], tf::bind::checked_product(a.n, a.dim, "x"), "x");
  a.alpha = float(tf::bind::number(info[4], "alpha"));
  if (info.Length() > 5 && info[5].IsObject()) a.cuda = want_cuda(info[5].As<Napi::Object>());
  return a;
}

void run_hess(const HessArgs& a, const tf::JobControl* ctl) {
  if (a.cuda)
    tf::cuda::hessian_accumulate(a.h.data, a.x.data, a.n, a.dim, a.alpha);
  else
    tf::hessian::hessian_f32_accumulate(a.h.data, a.x.data, a.n, a.dim, a.alpha, tf::active_isa(), ctl);
}

Napi::Value HessianAccumulate(const Napi::CallbackInfo& info) {
  HessArgs a = parse_hess(info);
  run_hess(a, nullptr);
  return info.Env().Undefined();
}

Napi::Value HessianAccumulateAsync(const Napi::CallbackInfo& info) {
  HessArgs a = parse_hess(info);
  tf::bind::AsyncSpec spec;
  spec.name = "twinforge.hessianAccumulate";
  spec.keep_alive = {info[0], info[1]};
  spec.on_progress = info[6];
  spec.work = [a](tf::JobControl& ctl) { run_hess(a, &ctl); };
  return tf::bind::run_async(info.Env(), std::move(spec));
}

// (norms, x, nSamples, dim)
Napi::Value FeatureNormsAccumulate(const Napi::CallbackInfo& info) {
  size_t n = size_value(info[2], "nSamples"), dim = size_value(info[3], "dim");
  auto norms = typed_len<float>(info[0], dim, "norms");
  auto x = typed_len<const float>(info[1], tf::bind::checked_product(n, dim, "x"), "x");
  tf::hessian::feature_sqnorm_f32_accumulate(norms.data, x.data, n, dim);
  return info.Env().Undefined();
}

// ---- solvers ---------------------------------------------------------------------------------

Napi::Object result_object(Napi::Env env, const tf::solvers::ObsResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", r.loss);
  o.Set("damp", r.damp);
  o.Set("deadInputs", double(r.dead));
  return o;
}

void read_obs(Napi::Object o, tf::solvers::ObsOptions& opt) {
  opt.block = tf::bind::opt_size(o, "blockSize", 128);
  if (opt.block == 0 || opt.block > 4096) tf::bind::throw_range("blockSize", "blockSize must be in [1, 4096]");
  opt.percdamp = float(tf::bind::opt_number(o, "percdamp", 0.01));
  if (!(opt.percdamp >= 0.0f)) tf::bind::throw_range("percdamp", "percdamp must be >= 0");
}

struct SgptArgs {
  tf::Span<float> w;
  tf::Span<const float> h;
  tf::Span<uint8_t> mask;
  size_t rows = 0, cols = 0;
  tf::solvers::SparseGptOptions opt;
  bool cuda = false;
};

// (w, rows, cols, h, mask|null, opts{sparsity, n, m, blockSize, percdamp, device})
SgptArgs parse_sgpt(const Napi::CallbackInfo& info) {
  SgptArgs a;
  a.rows = size_value(info[1], "rows");
  a.cols = size_value(info[2], "cols");
  a.w = typed_len<float>(info[0], tf::bind::checked_product(a.rows, a.cols, "w"), "w");
  a.h = typed_len<const float>(info[3], tf::bind::checked_product(a.cols, a.cols, "h"), "h");
  if (!info[4].IsNull() && !info[4].IsUndefined()) a.mask = typed_len<uint8_t>(info[4], a.w.size, "mask");
  Napi::Object o = tf::bind::object(info[5], "opts");
  read_obs(o, a.opt);
  a.opt.sparsity = tf::bind::opt_number(o, "sparsity", 0.5);
  a.opt.n = uint32_t(tf::bind::opt_size(o, "n", 0));
  a.opt.m = uint32_t(tf::bind::opt_size(o, "m", 0));
  a.cuda = want_cuda(o);
  return a;
}

tf::solvers::ObsResult run_sgpt(const SgptArgs& a, const tf::JobControl* ctl) {
  if (a.cuda) return tf::cuda::sparsegpt(a.w.data, a.rows, a.cols, a.h.data, a.mask.data, a.opt);
  return tf::solvers::sparsegpt_f32(a.w.data, a.rows, a.cols, a.h.data, a.mask.data, a.opt, tf::active_isa(), ctl);
}

Napi::Value SparseGpt(const Napi::CallbackInfo& info) {
  SgptArgs a = parse_sgpt(info);
  return result_object(info.Env(), run_sgpt(a, nullptr));
}

Napi::Value SparseGptAsync(const Napi::CallbackInfo& info) {
  SgptArgs a = parse_sgpt(info);
  auto res = std::make_shared<tf::solvers::ObsResult>();
  tf::bind::AsyncSpec spec;
  spec.name = "twinforge.sparsegpt";
  spec.keep_alive = {info[0], info[3], info[4]};
  spec.on_progress = info[6];
  spec.work = [a, res](tf::JobControl& ctl) { *res = run_sgpt(a, &ctl); };
  spec.done = [res](Napi::Env env) -> Napi::Value { return result_object(env, *res); };
  return tf::bind::run_async(info.Env(), std::move(spec));
}

struct GptqArgs {
  tf::Span<float> w;
  tf::Span<const float> h;
  tf::Span<const uint8_t> mask;
  tf::Span<uint8_t> codes;   // int8: rows*cols bytes; 4-bit: rows*cols/2 packed
  tf::Span<float> scales;    // rows * groups
  tf::Span<uint8_t> zps;     // asymmetric: rows * groups
  size_t rows = 0, cols = 0;
  tf::solvers::GptqOptions opt;
  bool cuda = false;
};

// (w, rows, cols, h, mask|null, codes, scales, zeroPoints|null, opts{bits, groupSize, symmetric, blockSize, percdamp, device})
GptqArgs parse_gptq(const Napi::CallbackInfo& info) {
  GptqArgs a;
  a.rows = size_value(info[1], "rows");
  a.cols = size_value(info[2], "cols");
  a.w = typed_len<float>(info[0], tf::bind::checked_product(a.rows, a.cols, "w"), "w");
  a.h = typed_len<const float>(info[3], tf::bind::checked_product(a.cols, a.cols, "h"), "h");
  if (!info[4].IsNull() && !info[4].IsUndefined()) a.mask = typed_len<const uint8_t>(info[4], a.w.size, "mask");
  Napi::Object o = tf::bind::object(info[8], "opts");
  read_obs(o, a.opt);
  a.opt.bits = uint32_t(tf::bind::opt_size(o, "bits", 8));
  if (a.opt.bits != 4 && a.opt.bits != 8) tf::bind::throw_range("bits", "bits must be 4 or 8");
  a.opt.group = tf::bind::opt_size(o, "groupSize", 0);
  if (a.opt.group && a.cols % a.opt.group) tf::bind::throw_range("groupSize", "cols must be a multiple of groupSize");
  Napi::Value sym = o.Get("symmetric");
  a.opt.symmetric = sym.IsUndefined() ? true : tf::bind::boolean(sym, "symmetric");
  if (a.opt.bits == 4 && a.cols % 2) tf::bind::throw_range("cols", "4-bit codes pack two per byte: cols must be even");
  const size_t groups = a.opt.group ? a.cols / a.opt.group : 1;
  // Int8Array or Uint8Array: both are bytes here.
  Napi::Value cv = info[5];
  if (!cv.IsTypedArray()) tf::bind::throw_type("codes", "codes must be an Int8Array or Uint8Array");
  auto ta = cv.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_int8_array && ta.TypedArrayType() != napi_uint8_array)
    tf::bind::throw_type("codes", "codes must be an Int8Array or Uint8Array");
  const size_t want = a.opt.bits == 4 ? a.w.size / 2 : a.w.size;
  if (ta.ElementLength() != want)
    tf::bind::throw_range("codes", "codes has length " + std::to_string(ta.ElementLength()) + ", expected " + std::to_string(want));
  a.codes.data = want ? static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset() : nullptr;
  a.codes.size = want;
  a.scales = typed_len<float>(info[6], a.rows * groups, "scales");
  if (!a.opt.symmetric) a.zps = typed_len<uint8_t>(info[7], a.rows * groups, "zeroPoints");
  a.cuda = want_cuda(o);
  return a;
}

tf::solvers::ObsResult run_gptq(const GptqArgs& a, const tf::JobControl* ctl) {
  const size_t n = a.rows * a.cols, groups = a.opt.group ? a.cols / a.opt.group : 1;
  std::vector<uint8_t> codes(n);
  std::vector<float> zeros(a.rows * groups);
  const uint8_t* mask = a.mask.size ? a.mask.data : nullptr;
  tf::solvers::ObsResult r =
      a.cuda ? tf::cuda::gptq(a.w.data, a.rows, a.cols, a.h.data, mask, codes.data(), a.scales.data, zeros.data(), a.opt)
             : tf::solvers::gptq_f32(a.w.data, a.rows, a.cols, a.h.data, mask, codes.data(), a.scales.data, zeros.data(),
                                     a.opt, tf::active_isa(), ctl);
  if (!a.opt.symmetric)
    for (size_t i = 0; i < zeros.size(); ++i) a.zps.data[i] = uint8_t(int(zeros[i]));
  if (a.opt.bits == 8) {
    std::memcpy(a.codes.data, codes.data(), n);
  } else {
    // Symmetric 4-bit codes are -7..7 (two's complement bytes): +8 gives MatMulNBits' unsigned nibbles.
    const int offset = a.opt.symmetric ? 8 : 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
      const int lo = (a.opt.symmetric ? int(int8_t(codes[i])) : int(codes[i])) + offset;
      const int hi = (a.opt.symmetric ? int(int8_t(codes[i + 1])) : int(codes[i + 1])) + offset;
      a.codes.data[i / 2] = uint8_t((lo & 15) | ((hi & 15) << 4));
    }
  }
  return r;
}

Napi::Value Gptq(const Napi::CallbackInfo& info) {
  GptqArgs a = parse_gptq(info);
  return result_object(info.Env(), run_gptq(a, nullptr));
}

Napi::Value GptqAsync(const Napi::CallbackInfo& info) {
  GptqArgs a = parse_gptq(info);
  auto res = std::make_shared<tf::solvers::ObsResult>();
  tf::bind::AsyncSpec spec;
  spec.name = "twinforge.gptq";
  spec.keep_alive = {info[0], info[3], info[4], info[5], info[6], info[7]};
  spec.on_progress = info[9];
  spec.work = [a, res](tf::JobControl& ctl) { *res = run_gptq(a, &ctl); };
  spec.done = [res](Napi::Env env) -> Napi::Value { return result_object(env, *res); };
  return tf::bind::run_async(info.Env(), std::move(spec));
}

}  // namespace

TF_BINDING(solvers) {
  using tf::bind::function;
  exports.Set("hessianAccumulate", function(env, "hessianAccumulate", HessianAccumulate));
  exports.Set("hessianAccumulateAsync", function(env, "hessianAccumulateAsync", HessianAccumulateAsync));
  exports.Set("featureNormsAccumulate", function(env, "featureNormsAccumulate", FeatureNormsAccumulate));
  exports.Set("sparsegpt", function(env, "sparsegpt", SparseGpt));
  exports.Set("sparsegptAsync", function(env, "sparsegptAsync", SparseGptAsync));
  exports.Set("gptq", function(env, "gptq", Gptq));
  exports.Set("gptqAsync", function(env, "gptqAsync", GptqAsync));
}
