// Max pooling of channels-last 3D data (2D as depth 1) and its gradient, in wasm SIMD, with TF.js's rules:
// a window's maximum is the first value strictly greater than all before it in window order (depth, height,
// width), starting from -Infinity, so NaN never wins and a window of NaN and -Infinity only gives
// -Infinity and passes no gradient. The gradient adds each output's dy into the input position of its
// maximum, output positions in order, so overlapping windows add in the order TF.js's cpu kernel does.
// Callers split whole images [n0, n1) between threads: windows never cross images, so no two threads
// write one element and the values do not depend on the thread count.

#include <wasm_simd128.h>

typedef struct {
  int N, C, D, H, W, OD, OH, OW, FD, FH, FW, sd, sh, sw, dd, dh, dw, pd, ph, pw;
} PoolGeometry;

#define EXPORT(name) __attribute__((export_name(name)))

// Calls body(base) for the input offset (of channel 0) of every in-bounds window position of output (n, od, oh, ow).
#define FOR_WINDOW(g, n, od, oh, ow, ...)                                               \
  for (int fd = 0; fd < (g)->FD; fd++) {                                                \
    const int d = (od) * (g)->sd - (g)->pd + fd * (g)->dd;                              \
    if (d < 0 || d >= (g)->D) continue;                                                 \
    for (int fh = 0; fh < (g)->FH; fh++) {                                              \
      const int h = (oh) * (g)->sh - (g)->ph + fh * (g)->dh;                            \
      if (h < 0 || h >= (g)->H) continue;                                               \
      for (int fw = 0; fw < (g)->FW; fw++) {                                            \
        const int w = (ow) * (g)->sw - (g)->pw + fw * (g)->dw;                          \
        if (w < 0 || w >= (g)->W) continue;                                             \
        const int base = ((((n) * (g)->D + d) * (g)->H + h) * (g)->W + w) * (g)->C;    \
        __VA_ARGS__                                                                     \
      }                                                                                 \
    }                                                                                   \
  }

EXPORT("max_pool") void max_pool(const PoolGeometry *g, const float *x, float *y, int n0, int n1) {
  const int C = g->C;
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff());
  for (int n = n0; n < n1; n++)
    for (int od = 0; od < g->OD; od++)
      for (int oh = 0; oh < g->OH; oh++)
        for (int ow = 0; ow < g->OW; ow++) {
          float *out = y + (((n * g->OD + od) * g->OH + oh) * g->OW + ow) * C;
          int c = 0;
          for (; c + 4 <= C; c += 4) {
            v128_t best = ninf;
            FOR_WINDOW(g, n, od, oh, ow, {
              const v128_t v = wasm_v128_load(x + base + c);
              best = wasm_v128_bitselect(v, best, wasm_f32x4_gt(v, best));
            })
            wasm_v128_store(out + c, best);
          }
          for (; c < C; c++) {
            float best = -__builtin_inff();
            FOR_WINDOW(g, n, od, oh, ow, {
              const float v = x[base + c];
              if (v > best) best = v;
            })
            out[c] = best;
          }
        }
}

// Adds into dx (zeroed by the caller) for images [n0, n1).
EXPORT("max_pool_grad") void max_pool_grad(const PoolGeometry *g, const float *x, const float *dy, float *dx, int n0, int n1) {
  const int C = g->C;
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff()), none = wasm_i32x4_splat(-1), lanes = wasm_i32x4_make(0, 1, 2, 3);
  for (int n = n0; n < n1; n++)
    for (int od = 0; od < g->OD; od++)
      for (int oh = 0; oh < g->OH; oh++)
        for (int ow = 0; ow < g->OW; ow++) {
          const float *d = dy + (((n * g->OD + od) * g->OH + oh) * g->OW + ow) * C;
          int c = 0;
          for (; c + 4 <= C; c += 4) {
            v128_t best = ninf, arg = none;
            FOR_WINDOW(g, n, od, oh, ow, {
              const v128_t v = wasm_v128_load(x + base + c);
              const v128_t m = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, m);
              arg = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(base + c), lanes), arg, m);
            })
            const int a0 = wasm_i32x4_extract_lane(arg, 0), a1 = wasm_i32x4_extract_lane(arg, 1);
            const int a2 = wasm_i32x4_extract_lane(arg, 2), a3 = wasm_i32x4_extract_lane(arg, 3);
            if (a0 >= 0) dx[a0] += d[c];
            if (a1 >= 0) dx[a1] += d[c + 1];
            if (a2 >= 0) dx[a2] += d[c + 2];
            if (a3 >= 0) dx[a3] += d[c + 3];
          }
          for (; c < C; c++) {
            float best = -__builtin_inff();
            int arg = -1;
            FOR_WINDOW(g, n, od, oh, ow, {
              const float v = x[base + c];
              if (v > best) best = v, arg = base + c;
            })
            if (arg >= 0) dx[arg] += d[c];
          }
        }
}
