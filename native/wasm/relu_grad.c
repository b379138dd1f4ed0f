// The gradient of a ReLU from its output y: out = dy * step(y), as TF.js composes it (Step, then Multiply),
// in one pass: dy where y > 0, dy * 0 where y = 0 (so -0 for a negative dy, NaN for an infinite one), NaN
// where y is NaN. Elements [n0, n1): callers split the range between threads.

#include <wasm_simd128.h>

__attribute__((export_name("relu_grad"))) void relu_grad(const float *dy, const float *y, float *out, int n0, int n1) {
  const v128_t zero = wasm_f32x4_splat(0.0f), nan = wasm_f32x4_splat(__builtin_nanf(""));
  int i = n0;
  for (; i + 4 <= n1; i += 4) {
    const v128_t d = wasm_v128_load(dy + i), v = wasm_v128_load(y + i);
    v128_t r = wasm_v128_bitselect(d, wasm_f32x4_mul(d, zero), wasm_f32x4_gt(v, zero));
    r = wasm_v128_bitselect(nan, r, wasm_f32x4_ne(v, v));
    wasm_v128_store(out + i, r);
  }
  for (; i < n1; i++) {
    const float v = y[i];
    out[i] = v != v ? __builtin_nanf("") : v > 0 ? dy[i] : dy[i] * 0.0f;
  }
}
