// maxout: gendice's fused max-out kernel (GendiceMaxout, GendiceMaxoutGrad in src/engine/maxout.ts).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "arguments.h"
#include "kernels.h"

namespace gendice {
namespace {

// JavaScript's Math.max on float32 values: NaN wins, +0 is above -0.
inline float jsMax(float m, float v) {
  if (m != m) return m;
  if (v != v) return v;
  if (v > m) return v;
  if (m > v) return m;
  return std::signbit(m) ? v : m;
}

}  // namespace

// maxout(mode, x, channels, pieces, out, dy): max-out over channel blocks (src/engine/maxout.ts).
// mode 0: out[row, c] = Math.max over p of x[row, p*channels + c];
// mode 1: out (dx, zero-filled by the caller)[row, winner*channels + c] = dy[row, c], where the running
//   maximum keeps its piece on ties (m >= v) and NaN passes the gradient on, as the layer's composed gradient.
Napi::Value Maxout(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 5) throw std::runtime_error("maxout: expected at least 5 arguments");
    const int mode = info[0].As<Napi::Number>().Int32Value();
    Napi::Float32Array x = f32(info[1], "x");
    const int64_t C = info[2].As<Napi::Number>().Int64Value(), k = info[3].As<Napi::Number>().Int64Value();
    Napi::Float32Array out = f32(info[4], "out");
    if (C <= 0 || k <= 0 || static_cast<int64_t>(x.ElementLength()) % (C * k) != 0)
      throw std::runtime_error("maxout: x is not a whole number of rows of channels * pieces");
    const int64_t rows = static_cast<int64_t>(x.ElementLength()) / (C * k);
    const float *xs = x.Data();
    float *o = out.Data();
    if (mode == 0) {
      if (static_cast<int64_t>(out.ElementLength()) != rows * C) throw std::runtime_error("maxout: out has the wrong size");
      for (int64_t r = 0; r < rows; r++) {
        const float *xr = xs + r * C * k;
        float *yr = o + r * C;
        for (int64_t c = 0; c < C; c++) {
          float m = xr[c];
          for (int64_t p = 1; p < k; p++) m = jsMax(m, xr[p * C + c]);
          yr[c] = m;
        }
      }
    } else if (mode == 1) {
      if (info.Length() < 6) throw std::runtime_error("maxout: the gradient needs dy");
      Napi::Float32Array dy = f32(info[5], "dy");
      if (out.ElementLength() != x.ElementLength() || static_cast<int64_t>(dy.ElementLength()) != rows * C)
        throw std::runtime_error("maxout: dx or dy has the wrong size");
      const float *dys = dy.Data();
      for (int64_t r = 0; r < rows; r++) {
        const float *xr = xs + r * C * k;
        float *dxr = o + r * C * k;
        for (int64_t c = 0; c < C; c++) {
          float m = xr[c];
          int64_t winner = 0;
          for (int64_t p = 1; p < k; p++) {
            const float v = xr[p * C + c];
            if (!(m >= v)) winner = p;
            m = jsMax(m, v);
          }
          dxr[winner * C + c] = dys[r * C + c];
        }
      }
    } else {
      throw std::runtime_error("maxout: unknown mode");
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
