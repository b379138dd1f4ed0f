// sum: jsReduce.ts's sum over axes as a C++ loop.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "arguments.h"
#include "kernels.h"

namespace gendice {

namespace {

void sumColumns(const float *__restrict xs, size_t rows, size_t cols, double *__restrict ac) {
  for (size_t r = 0; r < rows; r++) {
    const float *row = xs + r * cols;
    for (size_t j = 0; j < cols; j++) ac[j] += row[j];
  }
}

}  // namespace

// sum(x, out, dims, reduced): sums x over alternating kept/reduced blocks of axes (jsReduce.ts sumAxes),
// accumulating in double in input order; out holds the kept blocks' product of elements.
Napi::Value Sum(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 4) throw std::runtime_error("sum: expected 4 arguments");
    Napi::Float32Array x = f32(info[0], "x"), out = f32(info[1], "out");
    const auto dims = readInts(info[2], "dims"), red = readInts(info[3], "reduced");
    const size_t m = dims.size();
    if (m == 0 || red.size() != m) throw std::runtime_error("sum: bad blocks");
    size_t total = 1, outSize = 1;
    std::vector<int64_t> oStr(m);
    for (int64_t i = static_cast<int64_t>(m) - 1; i >= 0; i--) {
      if (dims[i] <= 0) throw std::runtime_error("sum: bad block size");
      total *= dims[i];
      oStr[i] = red[i] ? 0 : static_cast<int64_t>(outSize);
      if (!red[i]) outSize *= dims[i];
    }
    if (total != x.ElementLength() || outSize != out.ElementLength()) throw std::runtime_error("sum: sizes do not match");
    std::vector<double> acc(outSize, 0.0);
    const float *xs = x.Data();
    const int64_t n = dims[m - 1];
    const bool innerReduced = red[m - 1] != 0;
    const size_t outer = total / static_cast<size_t>(n);
    std::vector<int64_t> idx(m, 0);
    int64_t o = 0;
    double *ac = acc.data();
    if (m == 2 && red[0] && !red[1]) {
      // Column sums ([rows, C] -> [C]: a bias gradient): the same additions in the same order, without the
      // index bookkeeping per row, so that the compiler vectorises across the channels.
      sumColumns(xs, outer, static_cast<size_t>(n), ac);
    } else {
      for (size_t r = 0, ix = 0; r < outer; r++, ix += n) {
        if (innerReduced) {
          double t = 0;
          for (int64_t j = 0; j < n; j++) t += xs[ix + j];
          ac[o] += t;
        } else {
          for (int64_t j = 0; j < n; j++) ac[o + j] += xs[ix + j];
        }
        for (int64_t k = static_cast<int64_t>(m) - 2; k >= 0; k--) {
          idx[k]++;
          o += oStr[k];
          if (idx[k] < dims[k]) break;
          o -= idx[k] * oStr[k];
          idx[k] = 0;
        }
      }
    }
    float *os = out.Data();
    for (size_t i = 0; i < outSize; i++) os[i] = static_cast<float>(acc[i]);
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
