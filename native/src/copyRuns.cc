// copyRuns: the contiguous-run copies of jsSliceConcat.ts (Slice, SplitV, Concat), split across OpenMP threads.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "arguments.h"
#include "kernels.h"

namespace gendice {

// copyRuns(src, srcOffset, srcStride, dst, dstOffset, dstStride, run, count): count runs of `run` floats,
// the k-th from src[srcOffset + k*srcStride] to dst[dstOffset + k*dstStride] (Slice, SplitV, Concat).
Napi::Value CopyRuns(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 8) throw std::runtime_error("copyRuns: expected 8 arguments");
    Napi::Float32Array src = f32(info[0], "src"), dst = f32(info[3], "dst");
    const int64_t so = info[1].As<Napi::Number>().Int64Value(), ss = info[2].As<Napi::Number>().Int64Value();
    const int64_t dof = info[4].As<Napi::Number>().Int64Value(), ds = info[5].As<Napi::Number>().Int64Value();
    const int64_t run = info[6].As<Napi::Number>().Int64Value(), count = info[7].As<Napi::Number>().Int64Value();
    if (run < 0 || count < 0 || so < 0 || dof < 0 || ss < 0 || ds < 0) throw std::runtime_error("copyRuns: negative argument");
    if (run == 0 || count == 0) return env.Undefined();
    if (so + (count - 1) * ss + run > static_cast<int64_t>(src.ElementLength()) ||
        dof + (count - 1) * ds + run > static_cast<int64_t>(dst.ElementLength()))
      throw std::runtime_error("copyRuns: out of bounds");
    const float *s = src.Data() + so;
    float *d = dst.Data() + dof;
    // Copies only (no arithmetic): any split across OpenMP threads gives the same bytes. Short runs (channel
    // concatenation: 16-64 floats) are many, so the split is by runs, from 2^18 floats on.
#pragma omp parallel for schedule(static) if (run * count >= (int64_t{1} << 18) && count > 1)
    for (int64_t k = 0; k < count; k++) std::memcpy(d + k * ds, s + k * ss, static_cast<size_t>(run) * sizeof(float));
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
