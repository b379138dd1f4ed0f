// binary and unary: the elementwise kernels of jsElementwise.ts as C++ loops, split across OpenMP threads
// above 2^18 elements (elementwise: bit-identical whatever the split).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <omp.h>

#include "arguments.h"
#include "kernels.h"

namespace gendice {
namespace {

template <int OP>
inline float apply(float x, float y) {
  if (OP == 0) return x + y;
  if (OP == 1) return x - y;
  if (OP == 2) return x * y;
  return x / y;
}

template <int OP>
void innerLoop(float *__restrict out, const float *__restrict a, int64_t sa, const float *__restrict b, int64_t sb,
               int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(a[i], b[i]);
  } else if (sa == 1) {
    const float y = b[0];
    for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(a[i], y);
  } else if (sb == 1) {
    const float x = a[0];
    for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(x, b[i]);
  } else {
    const float v = apply<OP>(a[0], b[0]);
    for (int64_t i = 0; i < n; i++) out[i] = v;
  }
}

// Below this many output elements a kernel stays on the calling thread (waking OpenMP's costs more).
constexpr size_t kParallelElements = size_t(1) << 18;

// Rows o0..o1 of the blocked iteration (a row = one innermost block).
template <int OP>
void binaryRows(float *out, int64_t o0, int64_t o1, const float *a, const float *b, const std::vector<int64_t> &dims,
                const std::vector<int64_t> &aStr, const std::vector<int64_t> &bStr) {
  const size_t m = dims.size();
  const int64_t n = dims[m - 1];
  const int64_t ai = aStr[m - 1], bi = bStr[m - 1];
  std::vector<int64_t> idx(m, 0);
  int64_t ia = 0, ib = 0, rest = o0;
  for (int64_t k = static_cast<int64_t>(m) - 2; k >= 0; k--) {
    idx[k] = rest % dims[k];
    rest /= dims[k];
    ia += idx[k] * aStr[k];
    ib += idx[k] * bStr[k];
  }
  for (int64_t o = o0; o < o1; o++) {
    innerLoop<OP>(out + o * n, a + ia, ai, b + ib, bi, n);
    for (int64_t k = static_cast<int64_t>(m) - 2; k >= 0; k--) {
      idx[k]++;
      ia += aStr[k];
      ib += bStr[k];
      if (idx[k] < dims[k]) break;
      ia -= idx[k] * aStr[k];
      ib -= idx[k] * bStr[k];
      idx[k] = 0;
    }
  }
}

// Large outputs are split by rows across OpenMP threads: elementwise, so no result depends on the split.
template <int OP>
void binaryLoop(float *out, size_t outLen, const float *a, const float *b, const std::vector<int64_t> &dims,
                const std::vector<int64_t> &aStr, const std::vector<int64_t> &bStr) {
  const int64_t outer = static_cast<int64_t>(outLen) / dims[dims.size() - 1];
  if (outLen < kParallelElements || outer < 2) {
    binaryRows<OP>(out, 0, outer, a, b, dims, aStr, bStr);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
    binaryRows<OP>(out, outer * t / T, outer * (t + 1) / T, a, b, dims, aStr, bStr);
  }
}

}  // namespace

// binary(op, out, a, b, dims, aStr, bStr): out = a op b over blocks of axes (jsElementwise.ts broadcastBinary);
// op 0 add, 1 sub, 2 mul, 3 div; strides are element strides, 0 where broadcast.
Napi::Value Binary(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 7) throw std::runtime_error("binary: expected 7 arguments");
    const int op = info[0].As<Napi::Number>().Int32Value();
    Napi::Float32Array out = f32(info[1], "out"), a = f32(info[2], "a"), b = f32(info[3], "b");
    const auto dims = readInts(info[4], "dims"), aStr = readInts(info[5], "aStr"), bStr = readInts(info[6], "bStr");
    if (dims.empty() || aStr.size() != dims.size() || bStr.size() != dims.size()) throw std::runtime_error("binary: bad blocks");
    size_t total = 1, aSpan = 1, bSpan = 1;
    for (size_t i = 0; i < dims.size(); i++) {
      if (dims[i] <= 0) throw std::runtime_error("binary: bad block size");
      total *= dims[i];
      aSpan += (dims[i] - 1) * aStr[i];
      bSpan += (dims[i] - 1) * bStr[i];
    }
    if (total != out.ElementLength() || aSpan > a.ElementLength() || bSpan > b.ElementLength())
      throw std::runtime_error("binary: sizes do not match the blocks");
    switch (op) {
      case 0: binaryLoop<0>(out.Data(), total, a.Data(), b.Data(), dims, aStr, bStr); break;
      case 1: binaryLoop<1>(out.Data(), total, a.Data(), b.Data(), dims, aStr, bStr); break;
      case 2: binaryLoop<2>(out.Data(), total, a.Data(), b.Data(), dims, aStr, bStr); break;
      case 3: binaryLoop<3>(out.Data(), total, a.Data(), b.Data(), dims, aStr, bStr); break;
      default: throw std::runtime_error("binary: unknown op");
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// unary(op, x, out, alpha): op 0 relu (x < 0 ? 0 : x, NaN and -0 pass), 1 step (x > 0 ? 1 : NaN ? x : alpha),
// 2 neg, 3 abs, 4 sqrt, 5 square (all correctly rounded in float32, as JS's double results rounded to float32).
Napi::Value Unary(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 4) throw std::runtime_error("unary: expected 4 arguments");
    const int op = info[0].As<Napi::Number>().Int32Value();
    Napi::Float32Array x = f32(info[1], "x"), out = f32(info[2], "out");
    const float alpha = info[3].As<Napi::Number>().FloatValue();
    if (x.ElementLength() != out.ElementLength()) throw std::runtime_error("unary: lengths differ");
    const size_t n = x.ElementLength();
    const float *__restrict xs = x.Data();
    float *__restrict o = out.Data();
    if (op == 0) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
      for (size_t i = 0; i < n; i++) o[i] = xs[i] < 0.f ? 0.f : xs[i];
    } else if (op == 1) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
      for (size_t i = 0; i < n; i++) {
        const float v = xs[i];
        o[i] = v > 0.f ? 1.f : (v != v ? v : alpha);
      }
    } else if (op == 2) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
      for (size_t i = 0; i < n; i++) o[i] = -xs[i];
    } else if (op == 3) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
      for (size_t i = 0; i < n; i++) o[i] = std::fabs(xs[i]);
    } else if (op == 4) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
      for (size_t i = 0; i < n; i++) o[i] = std::sqrt(xs[i]);
    } else if (op == 5) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
      for (size_t i = 0; i < n; i++) o[i] = xs[i] * xs[i];
    } else {
      throw std::runtime_error("unary: unknown op");
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice

namespace gendice {

// reluGrad(dy, y, out): out = dy · step(y), the gradient of y = relu(x) in one pass (TF.js composes Step, Cast
// and Multiply): step(y) is 1 for y > 0, NaN for NaN and 0 otherwise, and the product is the float32 one, so
// values equal TF.js's (dy·0 = -0 for negative dy, NaN and infinities propagate alike). step(y) = step(x)
// for every x, so the saved output serves as well as the input.
Napi::Value ReluGrad(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 3) throw std::runtime_error("reluGrad: expected 3 arguments (dy, y, out)");
    Napi::Float32Array dy = f32(info[0], "dy"), y = f32(info[1], "y"), out = f32(info[2], "out");
    const size_t n = out.ElementLength();
    if (dy.ElementLength() != n || y.ElementLength() != n)
      throw std::runtime_error("reluGrad: lengths differ (dy " + std::to_string(dy.ElementLength()) + ", y " +
                               std::to_string(y.ElementLength()) + ", out " + std::to_string(n) + ")");
    const float *__restrict d = dy.Data();
    const float *__restrict v = y.Data();
    float *__restrict o = out.Data();
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
    for (size_t i = 0; i < n; i++) {
      const float s = v[i] > 0.f ? 1.f : (v[i] != v[i] ? v[i] : 0.f);
      o[i] = d[i] * s;
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice

namespace gendice {

// transcendental(op, x, out): op 0 exp, 1 log, 2 log1p, 3 sigmoid 1 / (1 + exp(−x)), 4 tanh, each as TF.js's
// cpu kernels compute it: the double function of the float32 value (the sigmoid's expression in double),
// rounded to float32. glibc's double functions and V8's (fdlibm's) are both within an ulp in double, so the
// float32 results can only differ where the double result lies within an ulp of a float32 rounding boundary;
// none did in 20 million values per function (random bit patterns and [−20, 20], measured once), and
// test/engine/jsKernels.test.ts compares them bit for bit on a million.
Napi::Value Transcendental(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 3) throw std::runtime_error("transcendental: expected 3 arguments (op, x, out)");
    const int op = info[0].As<Napi::Number>().Int32Value();
    Napi::Float32Array x = f32(info[1], "x"), out = f32(info[2], "out");
    if (x.ElementLength() != out.ElementLength()) throw std::runtime_error("transcendental: lengths differ");
    const size_t n = x.ElementLength();
    const float *__restrict xs = x.Data();
    float *__restrict o = out.Data();
    switch (op) {
      case 0:
#pragma omp parallel for schedule(static) if (n >= kParallelElements / 4)
        for (size_t i = 0; i < n; i++) o[i] = static_cast<float>(std::exp(static_cast<double>(xs[i])));
        break;
      case 1:
#pragma omp parallel for schedule(static) if (n >= kParallelElements / 4)
        for (size_t i = 0; i < n; i++) o[i] = static_cast<float>(std::log(static_cast<double>(xs[i])));
        break;
      case 2:
#pragma omp parallel for schedule(static) if (n >= kParallelElements / 4)
        for (size_t i = 0; i < n; i++) o[i] = static_cast<float>(std::log1p(static_cast<double>(xs[i])));
        break;
      case 3:
#pragma omp parallel for schedule(static) if (n >= kParallelElements / 4)
        for (size_t i = 0; i < n; i++) o[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(xs[i]))));
        break;
      case 4:
#pragma omp parallel for schedule(static) if (n >= kParallelElements / 4)
        for (size_t i = 0; i < n; i++) o[i] = static_cast<float>(std::tanh(static_cast<double>(xs[i])));
        break;
      default:
        throw std::runtime_error("transcendental: unknown op " + std::to_string(op));
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
