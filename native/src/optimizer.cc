// optimizerUpdate: one fused pass of Adam or SGD with momentum over one weight (src/engine/optimizerUpdate.ts).
// Every float32 operation of src/training/optimizer.ts's composed update, in the same order, each rounded
// to float32 (no contraction into FMAs: binding.gyp compiles with -ffp-contract=off), so the weights and
// the slots are bit-identical to the composed path's. Outputs may alias inputs (the in-place update): each
// element is read before it is written at the same index. Large weights are split across OpenMP threads;
// elementwise work, so the thread count does not change any result.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "arguments.h"
#include "kernels.h"

namespace gendice {
namespace {

// Below this many elements a weight is updated on the calling thread (a parallel region costs more).
constexpr int64_t kParallelElements = 1 << 15;

float scalarArg(const Napi::Value &v, const char *what) {
  if (!v.IsNumber()) throw std::runtime_error(std::string("expected a number for ") + what);
  return static_cast<float>(v.As<Napi::Number>().DoubleValue());
}

}  // namespace

// optimizerUpdate(0, w, g, m, v, wOut, mOut, vOut, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
//                 oneMinusBeta1Power, oneMinusBeta2Power, epsilon, minusLearningRate): Adam,
//   m' = m·β1 + g·(1−β1); v' = v·β2 + (g·g)·(1−β2); w' = ((m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε))·(−lr) + w.
// optimizerUpdate(1, w, g, a, wOut, aOut, momentum, minusLearningRate): SGD with momentum,
//   a' = μ·a + g; w' = (−lr)·a' + w.
// The scalars are float32 values (as the composed path's scalar tensors hold them).
Napi::Value OptimizerUpdate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 1) throw std::runtime_error("optimizerUpdate: expected the kind first");
    const int kind = info[0].As<Napi::Number>().Int32Value();
    if (kind == 0) {
      if (info.Length() != 16) throw std::runtime_error("optimizerUpdate: Adam expects 16 arguments");
      const size_t n = f32(info[1], "w").ElementLength();
      const float *w = floatData(info[1], n, "w");
      const float *g = floatData(info[2], n, "g");
      const float *m = floatData(info[3], n, "m");
      const float *v = floatData(info[4], n, "v");
      float *wOut = floatData(info[5], n, "wOut");
      float *mOut = floatData(info[6], n, "mOut");
      float *vOut = floatData(info[7], n, "vOut");
      const float b1 = scalarArg(info[8], "beta1"), c1 = scalarArg(info[9], "oneMinusBeta1");
      const float b2 = scalarArg(info[10], "beta2"), c2 = scalarArg(info[11], "oneMinusBeta2");
      const float p1 = scalarArg(info[12], "oneMinusBeta1Power"), p2 = scalarArg(info[13], "oneMinusBeta2Power");
      const float eps = scalarArg(info[14], "epsilon"), minusLr = scalarArg(info[15], "minusLearningRate");
      const int64_t count = static_cast<int64_t>(n);
#pragma omp parallel for schedule(static) if (count >= kParallelElements)
      for (int64_t i = 0; i < count; i++) {
        const float gi = g[i];
        const float newM = m[i] * b1 + gi * c1;
        const float newV = v[i] * b2 + (gi * gi) * c2;
        const float mHat = newM / p1;
        const float vHat = newV / p2;
        const float step = (mHat / (std::sqrt(vHat) + eps)) * minusLr;
        const float newW = step + w[i];
        mOut[i] = newM;
        vOut[i] = newV;
        wOut[i] = newW;
      }
    } else if (kind == 1) {
      if (info.Length() != 8) throw std::runtime_error("optimizerUpdate: SGD expects 8 arguments");
      const size_t n = f32(info[1], "w").ElementLength();
      const float *w = floatData(info[1], n, "w");
      const float *g = floatData(info[2], n, "g");
      const float *a = floatData(info[3], n, "a");
      float *wOut = floatData(info[4], n, "wOut");
      float *aOut = floatData(info[5], n, "aOut");
      const float mu = scalarArg(info[6], "momentum"), minusLr = scalarArg(info[7], "minusLearningRate");
      const int64_t count = static_cast<int64_t>(n);
#pragma omp parallel for schedule(static) if (count >= kParallelElements)
      for (int64_t i = 0; i < count; i++) {
        const float acc = mu * a[i] + g[i];
        const float newW = minusLr * acc + w[i];
        aOut[i] = acc;
        wOut[i] = newW;
      }
    } else {
      throw std::runtime_error("optimizerUpdate: unknown kind " + std::to_string(kind));
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
