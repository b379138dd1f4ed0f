// blendWindow, normaliseBlend: the weighted accumulation of sliding-window outputs into a grid and the
// final division by the accumulated weights (src/engine/windowBlend.ts; src/inference/windowBlending.ts
// has the same loops in JS). Each accumulator cell is touched once per window, in double, as
// `acc + weight * value` (no FMA: binding.gyp compiles with -ffp-contract=off), so the sums are
// bit-identical to the JS loops whatever the loop order within a window.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "arguments.h"
#include "kernels.h"

namespace gendice {
namespace {

Napi::Float64Array f64(const Napi::Value &v, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw std::runtime_error(std::string("expected a Float64Array for ") + what);
  return v.As<Napi::Float64Array>();
}

std::vector<int64_t> threeInts(const Napi::Value &v, const char *what, int64_t min) {
  std::vector<int64_t> d = readInts(v, what);
  if (d.size() != 3) throw std::runtime_error(std::string(what) + " must have 3 entries");
  for (auto x : d)
    if (x < min) throw std::runtime_error(std::string(what) + " has an entry below " + std::to_string(min));
  return d;
}

}  // namespace

// blendWindow(acc, weightSums, grid, channels, values, valuesOffset, weights, box, start):
// for every voxel (i, j, k) of the box [B0, B1, B2] (weights row-major over it, values row-major
// [B0, B1, B2, channels] from valuesOffset), cell = ((start0+i)·G1 + start1+j)·G2 + start2+k of the grid
// [G0, G1, G2]: weightSums[cell] += w, acc[cell·channels + c] += w · values[...].
Napi::Value BlendWindow(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 9) throw std::runtime_error("blendWindow: expected 9 arguments");
    Napi::Float64Array acc = f64(info[0], "acc"), wsum = f64(info[1], "weightSums"), weights = f64(info[6], "weights");
    Napi::Float32Array values = f32(info[4], "values");
    const std::vector<int64_t> g = threeInts(info[2], "grid", 1), b = threeInts(info[7], "box", 1), s = threeInts(info[8], "start", 0);
    const int64_t K = info[3].As<Napi::Number>().Int64Value(), offset = info[5].As<Napi::Number>().Int64Value();
    if (K < 1 || offset < 0) throw std::runtime_error("blendWindow: channels must be positive and valuesOffset non-negative");
    for (int a = 0; a < 3; a++)
      if (s[a] + b[a] > g[a]) throw std::runtime_error("blendWindow: the box leaves the grid along axis " + std::to_string(a));
    const int64_t cells = g[0] * g[1] * g[2], box = b[0] * b[1] * b[2];
    if (static_cast<int64_t>(wsum.ElementLength()) != cells || static_cast<int64_t>(acc.ElementLength()) != cells * K)
      throw std::runtime_error("blendWindow: acc and weightSums must hold grid × channels and grid cells");
    if (static_cast<int64_t>(weights.ElementLength()) != box || offset + box * K > static_cast<int64_t>(values.ElementLength()))
      throw std::runtime_error("blendWindow: weights must hold the box's voxels and values box × channels from valuesOffset");
    double *A = acc.Data(), *S = wsum.Data();
    const double *w = weights.Data();
    const float *v = values.Data() + offset;
    for (int64_t i = 0; i < b[0]; i++)
      for (int64_t j = 0; j < b[1]; j++) {
        const int64_t row = (i * b[1] + j) * b[2];
        const int64_t cell = ((s[0] + i) * g[1] + s[1] + j) * g[2] + s[2];
        if (K == 1) {
          for (int64_t k = 0; k < b[2]; k++) {
            S[cell + k] += w[row + k];
            A[cell + k] += w[row + k] * static_cast<double>(v[row + k]);
          }
          continue;
        }
        for (int64_t k = 0; k < b[2]; k++) {
          const double weight = w[row + k];
          S[cell + k] += weight;
          double *a = A + (cell + k) * K;
          const float *p = v + (row + k) * K;
          for (int64_t c = 0; c < K; c++) a[c] += weight * static_cast<double>(p[c]);
        }
      }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// normaliseBlend(acc, weightSums, grid, channels, extent, out): out[((x·E1 + y)·E2 + z)·channels + c] =
// float(acc[cell·channels + c] / weightSums[cell]) over the extent [E0, E1, E2] ≤ grid (its origin at 0).
Napi::Value NormaliseBlend(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 6) throw std::runtime_error("normaliseBlend: expected 6 arguments");
    Napi::Float64Array acc = f64(info[0], "acc"), wsum = f64(info[1], "weightSums");
    Napi::Float32Array out = f32(info[5], "out");
    const std::vector<int64_t> g = threeInts(info[2], "grid", 1), e = threeInts(info[4], "extent", 1);
    const int64_t K = info[3].As<Napi::Number>().Int64Value();
    if (K < 1) throw std::runtime_error("normaliseBlend: channels must be positive");
    for (int a = 0; a < 3; a++)
      if (e[a] > g[a]) throw std::runtime_error("normaliseBlend: the extent exceeds the grid along axis " + std::to_string(a));
    const int64_t cells = g[0] * g[1] * g[2];
    if (static_cast<int64_t>(wsum.ElementLength()) != cells || static_cast<int64_t>(acc.ElementLength()) != cells * K)
      throw std::runtime_error("normaliseBlend: acc and weightSums must hold grid × channels and grid cells");
    if (static_cast<int64_t>(out.ElementLength()) != e[0] * e[1] * e[2] * K)
      throw std::runtime_error("normaliseBlend: out must hold extent × channels floats");
    const double *A = acc.Data(), *S = wsum.Data();
    float *o = out.Data();
    for (int64_t x = 0; x < e[0]; x++)
      for (int64_t y = 0; y < e[1]; y++) {
        const int64_t cell = (x * g[1] + y) * g[2];
        float *dst = o + (x * e[1] + y) * e[2] * K;
        for (int64_t z = 0; z < e[2]; z++)
          for (int64_t c = 0; c < K; c++) dst[z * K + c] = static_cast<float>(A[(cell + z) * K + c] / S[cell + z]);
      }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
