// gendice's filter gradient of a channels-last 3D convolution (2D as depth 1), in wasm SIMD.
//
//   dW[fd, fh, fw, ci, co] = sum over n, od, oh, ow of
//       x[n, od*sd - pd + fd*dd, oh*sh - ph + fh*dh, ow*sw - pw + fw*dw, ci] * dy[n, od, oh, ow, co]
//
// The work is cut into tiles of one filter tap x 2 input channels (1 for the last of an odd count) x 16
// output channels (4 for the remainder; Co must be a multiple of 4), held in eight 4-lane accumulators.
// Output positions are walked in chunks of output rows (n, od, oh) small enough for dy's chunk to stay in
// cache while every tile of the caller's range passes over it; a tile's accumulators are stored in dW
// between chunks, so each of its sums runs over the output positions in one order, whatever the chunking
// and whichever thread computes it. Callers split [0, tile_count) into ranges, one per thread: the values
// do not depend on the thread count.
//
// No stack, no data segment, no globals: the module works only on the memory it imports (TF.js's wasm heap)
// through the pointers it is given, so any number of instances may share that memory.

#include <wasm_simd128.h>

typedef struct {
  int N, D, H, W, Ci, OD, OH, OW, Co, FD, FH, FW, pd, ph, pw, sd, sh, sw, dd, dh, dw, rowsPerChunk;
} Geometry;

#define EXPORT(name) __attribute__((export_name(name)))

static inline int taps(const Geometry *g) { return g->FD * g->FH * g->FW; }
static inline int ci_tiles(const Geometry *g) { return (g->Ci + 1) / 2; }
static inline int co_tiles(const Geometry *g) { return g->Co / 16 + (g->Co % 16) / 4; }

EXPORT("tile_count") int tile_count(const Geometry *g) { return taps(g) * ci_tiles(g) * co_tiles(g); }

// The valid range [lo, hi) of output index o along one axis: 0 <= o*s - p + f*d < size.
static inline void valid_range(int size, int out, int s, int p, int off, int *lo, int *hi) {
  int first = p - off; // o*s >= first
  int a = first <= 0 ? 0 : (first + s - 1) / s;
  int last = size - 1 + p - off; // o*s <= last
  int b = last < 0 ? 0 : last / s + 1;
  if (b > out) b = out;
  *lo = a;
  *hi = b < a ? a : b;
}

// What a filter tap's rows share: its offsets into x and the range of output columns inside the input.
typedef struct {
  int off_d, off_h, off_w, ow0, ow1, xstep;
} TapRows;

static inline TapRows tap_rows(const Geometry *g, int fd, int fh, int fw) {
  TapRows t = {fd * g->dd - g->pd, fh * g->dh - g->ph, fw * g->dw - g->pw, 0, 0, g->sw * g->Ci};
  valid_range(g->W, g->OW, g->sw, g->pw, fw * g->dw, &t.ow0, &t.ow1);
  return t;
}

// Pointers to x and dy at output row r's first valid column for the tap; 0 where the row reads padding.
static inline int row_start(const Geometry *g, const TapRows *t, const float *x, const float *dy, int r, int ci, int co, const float **xp, const float **dp) {
  const int oh = r % g->OH, od = (r / g->OH) % g->OD, n = r / (g->OH * g->OD);
  const int id = od * g->sd + t->off_d, ih = oh * g->sh + t->off_h;
  if (id < 0 || id >= g->D || ih < 0 || ih >= g->H) return 0;
  *xp = x + ((((long)n * g->D + id) * g->H + ih) * g->W + (t->ow0 * g->sw + t->off_w)) * g->Ci + ci;
  *dp = dy + ((long)r * g->OW + t->ow0) * g->Co + co;
  return 1;
}

// One tile over output rows [r0, r1): 2 (or 1) input channels x 16 output channels.
static void tile16(const Geometry *g, const float *x, const float *dy, float *dW, int fd, int fh, int fw, int ci, int two, int co, int r0, int r1) {
  const int Ci = g->Ci, Co = g->Co;
  const int tap = (fd * g->FH + fh) * g->FW + fw;
  float *w0 = dW + ((long)tap * Ci + ci) * Co + co;
  float *w1 = w0 + Co;
  v128_t a0 = wasm_v128_load(w0), a1 = wasm_v128_load(w0 + 4), a2 = wasm_v128_load(w0 + 8), a3 = wasm_v128_load(w0 + 12);
  v128_t b0 = wasm_f32x4_splat(0), b1 = b0, b2 = b0, b3 = b0;
  if (two) b0 = wasm_v128_load(w1), b1 = wasm_v128_load(w1 + 4), b2 = wasm_v128_load(w1 + 8), b3 = wasm_v128_load(w1 + 12);
  const TapRows t = tap_rows(g, fd, fh, fw);
  for (int r = r0; r < r1; r++) {
    const float *xp, *dp;
    if (!row_start(g, &t, x, dy, r, ci, co, &xp, &dp)) continue;
    const int ow0 = t.ow0, ow1 = t.ow1, xstep = t.xstep;
    if (two) {
      for (int ow = ow0; ow < ow1; ow++, xp += xstep, dp += Co) {
        const v128_t u = wasm_v128_load32_splat(xp), v = wasm_v128_load32_splat(xp + 1);
        const v128_t d0 = wasm_v128_load(dp), d1 = wasm_v128_load(dp + 4), d2 = wasm_v128_load(dp + 8), d3 = wasm_v128_load(dp + 12);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(u, d0));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(u, d1));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(u, d2));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(u, d3));
        b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(v, d0));
        b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(v, d1));
        b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(v, d2));
        b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(v, d3));
      }
    } else {
      for (int ow = ow0; ow < ow1; ow++, xp += xstep, dp += Co) {
        const v128_t u = wasm_v128_load32_splat(xp);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(u, wasm_v128_load(dp)));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(u, wasm_v128_load(dp + 4)));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(u, wasm_v128_load(dp + 8)));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(u, wasm_v128_load(dp + 12)));
      }
    }
  }
  wasm_v128_store(w0, a0), wasm_v128_store(w0 + 4, a1), wasm_v128_store(w0 + 8, a2), wasm_v128_store(w0 + 12, a3);
  if (two) wasm_v128_store(w1, b0), wasm_v128_store(w1 + 4, b1), wasm_v128_store(w1 + 8, b2), wasm_v128_store(w1 + 12, b3);
}

// The same for 4 output channels (the remainder of Co beyond a multiple of 16).
static void tile4(const Geometry *g, const float *x, const float *dy, float *dW, int fd, int fh, int fw, int ci, int two, int co, int r0, int r1) {
  const int Ci = g->Ci, Co = g->Co;
  const int tap = (fd * g->FH + fh) * g->FW + fw;
  float *w0 = dW + ((long)tap * Ci + ci) * Co + co;
  float *w1 = w0 + Co;
  v128_t a = wasm_v128_load(w0), b = two ? wasm_v128_load(w1) : wasm_f32x4_splat(0);
  const TapRows t = tap_rows(g, fd, fh, fw);
  for (int r = r0; r < r1; r++) {
    const float *xp, *dp;
    if (!row_start(g, &t, x, dy, r, ci, co, &xp, &dp)) continue;
    const int ow0 = t.ow0, ow1 = t.ow1, xstep = t.xstep;
    for (int ow = ow0; ow < ow1; ow++, xp += xstep, dp += Co) {
      const v128_t d = wasm_v128_load(dp);
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load32_splat(xp), d));
      if (two) b = wasm_f32x4_add(b, wasm_f32x4_mul(wasm_v128_load32_splat(xp + 1), d));
    }
  }
  wasm_v128_store(w0, a);
  if (two) wasm_v128_store(w1, b);
}

// Adds tiles [t0, t1) of the gradient into dW (which the caller zeroes first). Tiles are numbered with the
// output-channel tile fastest, then the input-channel pair, then the tap; each tile writes its own part of dW.
EXPORT("filter_gradient") void filter_gradient(const Geometry *g, const float *x, const float *dy, float *dW, int t0, int t1) {
  const int rows = g->N * g->OD * g->OH;
  const int cot = co_tiles(g), cit = ci_tiles(g), full = g->Co / 16;
  const int step = g->rowsPerChunk > 0 ? g->rowsPerChunk : 1;
  for (int r0 = 0; r0 < rows; r0 += step) {
    const int r1 = r0 + step < rows ? r0 + step : rows;
    for (int t = t0; t < t1; t++) {
      const int c = t % cot, p = (t / cot) % cit, tap = t / (cot * cit);
      const int fw = tap % g->FW, fh = (tap / g->FW) % g->FH, fd = tap / (g->FW * g->FH);
      const int ci = 2 * p, two = ci + 1 < g->Ci;
      if (c < full) tile16(g, x, dy, dW, fd, fh, fw, ci, two, 16 * c, r0, r1);
      else tile4(g, x, dy, dW, fd, fh, fw, ci, two, 16 * full + 4 * (c - full), r0, r1);
    }
  }
}
