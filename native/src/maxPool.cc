// maxPool: jsPooling.ts's 2D/3D max pooling and its gradient as C++ loops, split across OpenMP threads by
// rows of outputs (bit-identical whatever the split: see below).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "arguments.h"
#include "kernels.h"

namespace gendice {

// maxPool(mode, x, geom, a, b): max pooling over NDHWC (2D as depth 1), jsPooling.ts maxPoolScan's loop.
//   geom = [batch, channels, D, H, W, OD, OH, OW, fD, fH, fW, sD, sH, sW, dD, dH, dW, padD, padH, padW]
//   mode 0 forward:  a = out (batch*OD*OH*OW*C), b unused
//   mode 1 gradient: a = dy (as out), b = dx (as x, zero-filled by the caller), dx[first max] += dy
// TF.js's tie rule: the first strictly greater value in window order; no value > -inf gives -inf / no gradient.
Napi::Value MaxPool(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 4) throw std::runtime_error("maxPool: expected at least 4 arguments");
    const int mode = info[0].As<Napi::Number>().Int32Value();
    Napi::Float32Array x = f32(info[1], "x");
    const auto g = readInts(info[2], "geometry");
    if (g.size() != 20) throw std::runtime_error("maxPool: geometry needs 20 numbers");
    Napi::Float32Array a = f32(info[3], mode == 0 ? "out" : "dy");
    const int64_t B = g[0], C = g[1], D = g[2], H = g[3], W = g[4], OD = g[5], OH = g[6], OW = g[7];
    const int64_t fD = g[8], fH = g[9], fW = g[10], sD = g[11], sH = g[12], sW = g[13], dD = g[14], dH = g[15],
                  dW = g[16], pD = g[17], pH = g[18], pW = g[19];
    if (static_cast<int64_t>(x.ElementLength()) != B * D * H * W * C ||
        static_cast<int64_t>(a.ElementLength()) != B * OD * OH * OW * C)
      throw std::runtime_error("maxPool: sizes do not match the geometry");
    float *dx = nullptr;
    if (mode == 1) {
      if (info.Length() < 5) throw std::runtime_error("maxPool: the gradient needs dx");
      Napi::Float32Array d = f32(info[4], "dx");
      if (d.ElementLength() != x.ElementLength()) throw std::runtime_error("maxPool: dx and x differ in size");
      dx = d.Data();
    } else if (mode != 0) {
      throw std::runtime_error("maxPool: unknown mode");
    }
    const float *xs = x.Data();
    float *as = a.Data();
    // Rows of outputs (b, od, oh) are split across OpenMP threads; each row's outputs run in order on one
    // thread. The forward pass writes each output once, so any split gives the same values. The gradient
    // adds into dx, so rows may only be split where no two rows' windows share an input: across images
    // always, and across (od, oh) when the windows do not overlap in depth and height (the stride at least
    // the dilated extent: pooling 2 stride 2). A dx element then gets its additions from one row, in the
    // same order as one thread would give them: bit-identical results whatever the thread count.
    // visit(base) for each tap of output (b, od, oh, ow) inside the input, in window order; base is the
    // tap's offset of channel 0 in x.
    const auto forEachTap = [&](int64_t b, int64_t od, int64_t oh, int64_t ow, auto &&visit) {
      for (int64_t fd = 0; fd < fD; fd++) {
        const int64_t d = od * sD - pD + fd * dD;
        if (d < 0 || d >= D) continue;
        for (int64_t fh = 0; fh < fH; fh++) {
          const int64_t h = oh * sH - pH + fh * dH;
          if (h < 0 || h >= H) continue;
          for (int64_t fw = 0; fw < fW; fw++) {
            const int64_t w = ow * sW - pW + fw * dW;
            if (w >= 0 && w < W) visit((((b * D + d) * H + h) * W + w) * C);
          }
        }
      }
    };
    const int64_t rows = B * OD * OH;
    const bool parallel = static_cast<int64_t>(a.ElementLength()) >= (int64_t{1} << 16);
    if (mode == 0) {
      // Forward: a running maximum per channel, branch-free so that it vectorises over the channels
      // (v > m ? v : m keeps the first of equal values and ignores NaN, as TF.js's pixel > max test).
#pragma omp parallel for schedule(static) if (parallel)
      for (int64_t row = 0; row < rows; row++) {
        const int64_t b = row / (OD * OH), od = (row / OH) % OD, oh = row % OH;
        int64_t o = row * OW * C;
        for (int64_t ow = 0; ow < OW; ow++, o += C) {
          float *__restrict m = as + o;
          for (int64_t c = 0; c < C; c++) m[c] = -INFINITY;
          forEachTap(b, od, oh, ow, [&](int64_t base) {
            const float *__restrict v = xs + base;
            for (int64_t c = 0; c < C; c++) m[c] = v[c] > m[c] ? v[c] : m[c];
          });
        }
      }
      return env.Undefined();
    }
    // Gradient: the window's maximum per channel, then (taps in reverse) the first tap that holds it, both
    // branch-free so that they vectorise over the channels; dy goes to that tap. Same rule as TF.js's kernel
    // and the forward pass: the first strict maximum in window order, NaN ignored, nothing for a window
    // without a value above -Infinity.
    const bool disjointRows = sD >= (fD - 1) * dD + 1 && sH >= (fH - 1) * dH + 1;
    const int64_t units = disjointRows ? rows : B;           // what the threads split
    const int64_t rowsPerUnit = disjointRows ? 1 : OD * OH;  // output rows in one unit, in order
#pragma omp parallel if (parallel && units > 1)
    {
      std::vector<float> best(static_cast<size_t>(C));
      std::vector<int32_t> first(static_cast<size_t>(C));
      std::vector<int64_t> tapBase;
      tapBase.reserve(static_cast<size_t>(fD * fH * fW));
#pragma omp for schedule(static)
      for (int64_t unit = 0; unit < units; unit++) {
        for (int64_t row = unit * rowsPerUnit; row < (unit + 1) * rowsPerUnit; row++) {
          const int64_t b = row / (OD * OH), od = (row / OH) % OD, oh = row % OH;
          int64_t o = row * OW * C;
          for (int64_t ow = 0; ow < OW; ow++, o += C) {
            tapBase.clear();
            forEachTap(b, od, oh, ow, [&](int64_t base) { tapBase.push_back(base); });
            float *__restrict m = best.data();
            int32_t *__restrict k0 = first.data();
            for (int64_t c = 0; c < C; c++) m[c] = -INFINITY;
            for (const int64_t base : tapBase) {
              const float *__restrict v = xs + base;
              for (int64_t c = 0; c < C; c++) m[c] = v[c] > m[c] ? v[c] : m[c];
            }
            for (int64_t c = 0; c < C; c++) k0[c] = -1;
            for (int32_t k = static_cast<int32_t>(tapBase.size()) - 1; k >= 0; k--) {
              const float *__restrict v = xs + tapBase[static_cast<size_t>(k)];
              for (int64_t c = 0; c < C; c++) k0[c] = v[c] == m[c] ? k : k0[c];
            }
            for (int64_t c = 0; c < C; c++)
              if (k0[c] >= 0 && m[c] > -INFINITY) dx[tapBase[static_cast<size_t>(k0[c])] + c] += as[o + c];
          }
        }
      }
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
