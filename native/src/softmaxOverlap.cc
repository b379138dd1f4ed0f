// softmaxOverlap: the softmax over channels and the per-image, per-class overlap sums of the Dice-type
// losses (tp = Σ p·r, sumP = Σ p, sumR = Σ r) in one pass, and their gradient with respect to the logits in
// one more (src/engine/softmaxOverlap.ts). The softmax rounds as TF.js's composed one does (exp of
// x − max rounded to float32, the row sum accumulated in double, then rounded, the quotient in float32).
// Sums accumulate in double over fixed chunks of voxels, combined in chunk order: the result does not
// depend on the number of OpenMP threads (determinism across runs and machines' thread counts).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "arguments.h"
#include "kernels.h"

namespace gendice {
namespace {

constexpr int64_t kChunkVoxels = 16384;

// p[0..C) = softmax(x[0..C)) with TF.js's roundings.
inline void softmaxRow(const float *x, float *p, int64_t C) {
  float m = x[0];
  for (int64_t c = 1; c < C; c++) m = std::max(m, x[c]);
  double s = 0;
  for (int64_t c = 0; c < C; c++) {
    // float expf: within 1 ulp of TF.js's rounded double exp, several times faster; the maximum's own term
    // is exp(0) = 1 exactly, so it is not computed (half the exps with two classes).
    p[c] = x[c] == m ? 1.0f : std::exp(x[c] - m);
    s += p[c];
  }
  const float sf = static_cast<float>(s);
  for (int64_t c = 0; c < C; c++) p[c] = p[c] / sf;
}

}  // namespace

// softmaxOverlap(0, logits, target, [B, S, C], stats): stats [B, 3, C] = tp, sumP, sumR.
// softmaxOverlap(1, logits, target, [B, S, C], dLogits, dStats): dLogits [B, S, C] from dStats [B, 3, C]
//   (the sumR row gets no gradient: the target is a constant): g_c = dtp_c·r_c + dsumP_c,
//   dx_c = p_c·(g_c − Σ_k p_k·g_k), the softmax gradient TF.js composes.
Napi::Value SoftmaxOverlap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 5) throw std::runtime_error("softmaxOverlap: expected at least 5 arguments");
    const int mode = info[0].As<Napi::Number>().Int32Value();
    const std::vector<int64_t> dims = readInts(info[3], "dims");
    if (dims.size() != 3 || dims[0] <= 0 || dims[1] <= 0 || dims[2] <= 0 || dims[2] > 4096)
      throw std::runtime_error("softmaxOverlap: dims must be [B, S, C] with 0 < C <= 4096");
    const int64_t B = dims[0], S = dims[1], C = dims[2];
    const size_t n = product(dims);
    const float *x = floatData(info[1], n, "logits");
    const float *r = floatData(info[2], n, "target");
    const int64_t chunks = (S + kChunkVoxels - 1) / kChunkVoxels;
    if (mode == 0) {
      float *stats = floatData(info[4], static_cast<size_t>(B * 3 * C), "stats");
      std::vector<double> partial(static_cast<size_t>(B * chunks * 3 * C), 0.0);
#pragma omp parallel for schedule(static) collapse(2) if (n >= (1 << 16))
      for (int64_t b = 0; b < B; b++) {
        for (int64_t k = 0; k < chunks; k++) {
          std::vector<float> p(static_cast<size_t>(C));
          double *acc = partial.data() + (b * chunks + k) * 3 * C;
          const int64_t end = std::min(S, (k + 1) * kChunkVoxels);
          for (int64_t s = k * kChunkVoxels; s < end; s++) {
            const float *xs = x + (b * S + s) * C;
            const float *rs = r + (b * S + s) * C;
            softmaxRow(xs, p.data(), C);
            for (int64_t c = 0; c < C; c++) {
              acc[c] += p[c] * rs[c];
              acc[C + c] += p[c];
              acc[2 * C + c] += rs[c];
            }
          }
        }
      }
      for (int64_t b = 0; b < B; b++) {
        for (int64_t j = 0; j < 3 * C; j++) {
          double total = 0;
          for (int64_t k = 0; k < chunks; k++) total += partial[(b * chunks + k) * 3 * C + j];
          stats[b * 3 * C + j] = static_cast<float>(total);
        }
      }
    } else if (mode == 1) {
      if (info.Length() < 6) throw std::runtime_error("softmaxOverlap: the gradient needs dStats");
      float *dx = floatData(info[4], n, "dLogits");
      const float *dStats = floatData(info[5], static_cast<size_t>(B * 3 * C), "dStats");
#pragma omp parallel for schedule(static) collapse(2) if (n >= (1 << 16))
      for (int64_t b = 0; b < B; b++) {
        for (int64_t k = 0; k < chunks; k++) {
          std::vector<float> p(static_cast<size_t>(C)), g(static_cast<size_t>(C));
          const float *dtp = dStats + b * 3 * C, *dsumP = dtp + C;
          const int64_t end = std::min(S, (k + 1) * kChunkVoxels);
          for (int64_t s = k * kChunkVoxels; s < end; s++) {
            const int64_t o = (b * S + s) * C;
            softmaxRow(x + o, p.data(), C);
            float dot = 0;
            for (int64_t c = 0; c < C; c++) {
              g[c] = dtp[c] * r[o + c] + dsumP[c];
              dot += p[c] * g[c];
            }
            for (int64_t c = 0; c < C; c++) dx[o + c] = p[c] * (g[c] - dot);
          }
        }
      }
    } else {
      throw std::runtime_error("softmaxOverlap: unknown mode");
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
