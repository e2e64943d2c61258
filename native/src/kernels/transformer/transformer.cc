// Reference-precision fp32 implementations: accumulations of softmax and norms in double
// where the sum is long (dim, seq), so the result agrees with PyTorch's fp32 within rounding.
#include "kernels/transformer/transformer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/parallel.h"
#include "kernels/gemm/sgemm.h"

namespace tf::transformer {

void rmsnorm_f32(const float* x, size_t rows, size_t dim, const float* weight, float eps, float* out) {
  parallel_for(rows, std::max<size_t>(1, 16384 / std::max<size_t>(dim, 1)), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; r++) {
      const float* xr = x + r * dim;
      float* o = out + r * dim;
      double ss = 0;
      for (size_t i = 0; i < dim; i++) ss += double(xr[i]) * xr[i];
      // Like torch: the inverse root in fp32, then (x * inv) rounded before the weight multiply.
      float inv = 1.0f / std::sqrt(float(ss / double(dim)) + eps);
      for (size_t i = 0; i < dim; i++) o[i] = weight[i] * (xr[i] * inv);
    }
  });
}

void rope_f32(float* x, size_t tokens, size_t heads, size_t head_dim, const int32_t* positions, const float* inv_freq) {
  const size_t half = head_dim / 2;
  parallel_for(tokens, 4, [&](size_t b, size_t e) {
    std::vector<float> c(half), s(half);
    for (size_t t = b; t < e; t++) {
      for (size_t i = 0; i < half; i++) {
        // torch forms the angle as an fp32 product, then cos/sin of that fp32 value.
        float ang = float(positions[t]) * inv_freq[i];
        c[i] = float(std::cos(double(ang)));
        s[i] = float(std::sin(double(ang)));
      }
      for (size_t h = 0; h < heads; h++) {
        float* p = x + (t * heads + h) * head_dim;
        for (size_t i = 0; i < half; i++) {
          float x1 = p[i], x2 = p[i + half];
          p[i] = x1 * c[i] - x2 * s[i];
          p[i + half] = x2 * c[i] + x1 * s[i];
        }
      }
    }
  });
}

void attention_f32(const float* q, const float* k, const float* v, float* out, const AttentionShape& s) {
  const size_t D = s.head_dim, H = s.heads, KV = s.kv_heads, T = s.seq;
  const size_t group = H / KV;
  const size_t qstride = H * D, kstride = KV * D;
  const float scale = 1.0f / std::sqrt(float(D));
  // One task per (sequence, head, query block): rows of a head are independent.
  const size_t qblock = 16;
  const size_t nqb = (T + qblock - 1) / qblock;
  parallel_for(s.batch * H * nqb, 1, [&](size_t b, size_t e) {
    std::vector<float> score(T);
    std::vector<double> acc(D);
    for (size_t task = b; task < e; task++) {
      size_t qb = task % nqb, h = (task / nqb) % H, n = task / (nqb * H);
      size_t kvh = h / group;
      const float* qs = q + n * T * qstride + h * D;
      const float* ks = k + n * T * kstride + kvh * D;
      const float* vs = v + n * T * kstride + kvh * D;
      float* os = out + n * T * qstride + h * D;
      for (size_t i = qb * qblock; i < std::min(T, (qb + 1) * qblock); i++) {
        size_t j0 = (s.window && i + 1 > s.window) ? i + 1 - s.window : 0;
        const float* qi = qs + i * qstride;
        float mx = -INFINITY;
        for (size_t j = j0; j <= i; j++) {
          const float* kj = ks + j * kstride;
          float d = 0;
          for (size_t x = 0; x < D; x++) d += qi[x] * kj[x];
          d *= scale;
          score[j] = d;
          mx = std::max(mx, d);
        }
        double sum = 0;
        for (size_t j = j0; j <= i; j++) {
          float p = std::exp(score[j] - mx);
          score[j] = p;
          sum += p;
        }
        std::fill(acc.begin(), acc.end(), 0.0);
        for (size_t j = j0; j <= i; j++) {
          const float* vj = vs + j * kstride;
          double p = score[j];
          for (size_t x = 0; x < D; x++) acc[x] += p * vj[x];
        }
        float* oi = os + i * qstride;
        for (size_t x = 0; x < D; x++) oi[x] = float(acc[x] / sum);
      }
    }
  });
}

void silu_mul_f32(float* gate, const float* up, size_t n) {
  parallel_for(n, 65536, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) {
      float g = gate[i];
      gate[i] = (g / (1.0f + std::exp(-g))) * up[i];
    }
  });
}

void linear_f32(const float* x, size_t rows, size_t in, const float* w, size_t out, const float* bias, float* y) {
  gemm::SgemmArgs a;
  a.trans_b = true;
  a.m = rows;
  a.n = out;
  a.k = in;
  a.a = x;
  a.lda = in;
  a.b = w;
  a.ldb = in;
  a.beta = 0.0f;
  a.c = y;
  a.ldc = out;
  gemm::sgemm(a);
  if (bias) {
    parallel_for(rows, 64, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; r++)
        for (size_t j = 0; j < out; j++) y[r * out + j] += bias[j];
    });
  }
}

}  // namespace tf::transformer
