// softmaxOverlap: the softmax over channels and the per-image, per-class overlap sums of the Dice-type
// losses (tp = Σ p·r, sumP = Σ p, sumR = Σ r; with modes 2 and 3 also Σ (p − r)², Σ (p − r)²·r and Σ r·log p,
// for the sensitivity-specificity and cross-entropy losses) in one pass, and their gradient with respect to
// the logits in one more (src/engine/softmaxOverlap.ts). log p is TF.js's logSoftmax: (x − max) − log(s). The softmax follows TF.js's composed one (exp of x − max, the row
// sum accumulated in double, then rounded, the quotient in float32), except that the exp is gendice's own
// polynomial (expPoly below), not TF.js's rounded double Math.exp: within about 2 ulp of it, so p may differ
// from TF.js's in the last bits (tested against the stock composition: relative 1e-5 on the loss, 1e-4 on
// the gradient). Sums accumulate in double over fixed chunks of voxels, each over 8 fixed lanes (voxel index
// mod 8), combined in lane and chunk order: the result depends neither on the number of OpenMP threads nor
// on the vector width the compiler picked (every float operation is elementwise and correctly rounded, no
// FMA contraction: -ffp-contract=off), so the same inputs give bit-identical outputs on every run.
// Without trapping math GCC if-converts the selects below (clamp, maximum) and vectorises the loops; the
// option lets the compiler assume float operations raise no signals (the flags are never read here): it
// changes no rounding and no order of operations. Before the includes, so that std::max is compiled with it.
#pragma GCC optimize("no-trapping-math")
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "arguments.h"
#include "kernels.h"

namespace gendice {
namespace {

constexpr int64_t kChunkVoxels = 16384;  // a multiple of kBlock
constexpr int64_t kBlock = 256;          // voxels per block: the block's arrays stay in L1
constexpr int kLanes = 8;                // accumulation lanes (voxel index mod 8), a fixed order

// exp(x) for x <= 0 (x − max), as float, in plain float operations that the compiler vectorises: Cody–Waite
// reduction x = n·ln2 + r (|r| <= ln2/2; n by the 1.5·2²³ rounding trick, which needs no rounding
// instruction and is not folded away without -ffast-math), Cephes' degree-6 polynomial for e^r, and 2ⁿ
// built in the exponent bits. exp(0) is exactly 1 (the maximum's own term, as with any exp). Below −87.3
// (where e^x < 2⁻¹²⁶, the smallest normal float) it gives 0, where Math.exp's rounding would give a
// subnormal float: an absolute difference below 1.2e-38 in p.
inline float expPoly(float x) {
  const float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  const float kRound = 12582912.0f;  // 1.5·2²³
  const float xc = std::max(x, -87.3f);
  const float n = (xc * kLog2e + kRound) - kRound;
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float e = p * scale;  // computed unconditionally: a select of two values vectorises, a branch does not
  return x < -87.3f ? 0.0f : e;
}

// log(s) for a softmax's row sum s (1 <= s <= C: the maximum's own term is 1, each term at most 1), in plain
// float operations that the compiler vectorises, as expPoly: s = m·2^e with m in [√½, √2), Cephes' logf
// polynomial for log m, and e·ln2 in two parts. Within about 1 ulp of the correctly rounded log on [1, 4096]
// (tested against TF.js's logSoftmax); a NaN s gives a finite value here, but the NaN logit that made it
// makes x − max NaN as well, so log p is NaN either way.
inline float logPoly(float s) {
  int32_t bits;
  std::memcpy(&bits, &s, sizeof bits);
  const int32_t e = ((bits >> 23) & 0xff) - 126;  // s = m·2^e with m in [0.5, 1)
  const int32_t mantissa = (bits & 0x007fffff) | 0x3f000000;
  float m;
  std::memcpy(&m, &mantissa, sizeof m);
  const bool low = m < 0.707106781186547524f;
  const float x = low ? (m + m) - 1.0f : m - 1.0f;
  const float fe = static_cast<float>(low ? e - 1 : e);
  const float z = x * x;
  float y = 7.0376836292e-2f;
  y = y * x - 1.1514610310e-1f;
  y = y * x + 1.1676998740e-1f;
  y = y * x - 1.2420140846e-1f;
  y = y * x + 1.4249322787e-1f;
  y = y * x - 1.6668057665e-1f;
  y = y * x + 2.0000714765e-1f;
  y = y * x - 2.4999993993e-1f;
  y = y * x + 3.3333331174e-1f;
  y = y * x * z;
  y = y + -2.12194440e-4f * fe;
  y = y - 0.5f * z;
  return (x + y) + 0.693359375f * fe;
}

// Softmax of `len` voxels of two classes (the common case, in its own loop: the strided reads of two channels
// vectorise), with one exp per voxel instead of two: one of a − max, b − max is +0 (x − x), and expPoly(0) is
// exactly 1, so the exp of their sum (x + 0 = x exactly) is the other one's, and the result is bit for bit the
// two-exp softmax's. Non-finite logits give NaN as before (a difference that is NaN is not 0, so that
// class takes the NaN exp). With Check, *bad |= whether a logit is NaN or ±Inf (x − x is NaN exactly then).
// With Log, also log p = (x − max) − logPoly(s) into lp[0..len) and lp[kBlock..) (the general path's
// operations, softmaxBlock's).
template <bool Check, bool Log = false>
inline void softmaxPairs(const float *x, int64_t len, float *p, int *bad, float *lp = nullptr) {
  int notFinite = 0;
  for (int64_t v = 0; v < len; v++) {
    const float a = x[2 * v], b = x[2 * v + 1];
    const float mx = std::max(a, b);
    const float da = a - mx, db = b - mx;
    const float e = expPoly(da + db);
    const float ea = da == 0.f ? 1.f : e, eb = db == 0.f ? 1.f : e;
    const float s = static_cast<float>(static_cast<double>(ea) + static_cast<double>(eb));
    p[v] = ea / s;
    p[kBlock + v] = eb / s;
    if (Log) {
      const float ls = logPoly(s);
      lp[v] = da - ls;
      lp[kBlock + v] = db - ls;
    }
    if (Check) notFinite |= !(a - a == 0.f) | !(b - b == 0.f);
  }
  if (Check) *bad |= notFinite;
}

// Softmax of a block of `len` voxels (len <= kBlock) starting at x (interleaved [len, C]) into p, channel-major
// ([C][kBlock]); e and m are scratch of the same sizes. TF.js's roundings: x − max and its exp in float, the
// row sum in double, rounded to float, the quotient in float. With lp, also log p into lp (channel-major), in
// TF.js's logSoftmax order: (x − max) − log(s), with the softmax's own s and logPoly for the log.
inline void softmaxBlock(const float *x, int64_t len, int64_t C, float *p, float *m, double *sum, float *lp = nullptr) {
  if (C == 2) {
    if (lp != nullptr) {
      softmaxPairs<false, true>(x, len, p, nullptr, lp);
    } else {
      softmaxPairs<false>(x, len, p, nullptr);
    }
    return;
  }
  for (int64_t v = 0; v < len; v++) m[v] = x[v * C];
  for (int64_t c = 1; c < C; c++)
    for (int64_t v = 0; v < len; v++) m[v] = std::max(m[v], x[v * C + c]);
  for (int64_t v = 0; v < len; v++) sum[v] = 0;
  for (int64_t c = 0; c < C; c++) {
    float *pc = p + c * kBlock;
    for (int64_t v = 0; v < len; v++) {
      const float d = x[v * C + c] - m[v];
      if (lp != nullptr) lp[c * kBlock + v] = d;
      pc[v] = expPoly(d);
      sum[v] += static_cast<double>(pc[v]);
    }
  }
  for (int64_t v = 0; v < len; v++) m[v] = static_cast<float>(sum[v]);
  if (lp != nullptr) {
    for (int64_t v = 0; v < len; v++) sum[v] = static_cast<double>(logPoly(m[v]));  // log s, exact in double
    for (int64_t c = 0; c < C; c++)
      for (int64_t v = 0; v < len; v++) lp[c * kBlock + v] = lp[c * kBlock + v] - static_cast<float>(sum[v]);
  }
  for (int64_t c = 0; c < C; c++) {
    float *pc = p + c * kBlock;
    for (int64_t v = 0; v < len; v++) pc[v] = pc[v] / m[v];
  }
}

// Asks the kernel for 2 MB pages under a fresh output array that is about to be written (Linux, where
// transparent huge pages are enabled or "madvise"): the gradient is a new Float32Array per call, and its
// 4 KB page faults on first write cost more than the kernel's own work (about 20 ms of a 28 MB array against
// 7 ms of compute, measured). Only advice: no value changes, and memory already touched stays as it is.
void adviseHugePages(float *data, size_t count) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{1} << 21;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data + count)) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)count;
#endif
}

// Per-block scratch of one thread.
struct Scratch {
  std::vector<float> p, m, r, g, dot, lp, t;
  std::vector<double> sum;
  explicit Scratch(int64_t C)
      : p(static_cast<size_t>(C * kBlock)), m(kBlock), r(static_cast<size_t>(C * kBlock)), g(static_cast<size_t>(C * kBlock)),
        dot(kBlock), lp(static_cast<size_t>(C * kBlock)), t(kBlock), sum(kBlock) {}
};

// acc[lane] += values[v] for v in [0, len), lane = v mod kLanes (len a multiple of kLanes, or the tail).
inline void accumulateLanes(double *acc, const float *values, int64_t len) {
  int64_t v = 0;
  for (; v + kLanes <= len; v += kLanes)
    for (int l = 0; l < kLanes; l++) acc[l] += static_cast<double>(values[v + l]);
  for (int l = 0; v < len; v++, l++) acc[l] += static_cast<double>(values[v]);
}

// The loops over voxels [begin, end) (flat voxel indices of one image's chunk), compiled twice: for AVX2 and
// for the baseline x86-64 (SSE2), picked at load time by the CPU. Both give the same bits: every float
// operation is elementwise and correctly rounded in either instruction set, and the order is the source's.
#define GENDICE_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// Whether any of v[0..n) is NaN or ±Inf (x − x is NaN exactly for those), without branches.
inline int notFinite(const float *v, int64_t n) {
  int bad = 0;
  for (int64_t i = 0; i < n; i++) bad |= !(v[i] - v[i] == 0.f);
  return bad;
}

// Whether any of v[0..n) breaks target rule `rule` (1: not in [0, 1], NaN included; 2: neither 0 nor 1).
inline int breaksRule(const float *v, int64_t n, int rule) {
  int bad = 0;
  if (rule == 1) {
    for (int64_t i = 0; i < n; i++) bad |= !(v[i] >= 0.f) | !(v[i] <= 1.f);
  } else if (rule == 2) {
    for (int64_t i = 0; i < n; i++) bad |= (v[i] != 0.f) & (v[i] != 1.f);
  }
  return bad;
}

// The six sums of two classes over a block (len a multiple of kLanes) in one pass, the same additions per lane
// as the general loop: acc[row·2 + c][lane] for rows tp, sumP, sumR. Rule 1 or 2: *bad |= whether a target
// value breaks it (1: outside [0, 1] or NaN, 2: neither 0 nor 1). With All, the twelve sums of the six rows
// (forwardVoxels' operations; log p from softmaxPairs in l0[0..len) and l0[kBlock..)).
template <int Rule, bool All = false>
inline void pairSums(const float *p0, const float *rs, int64_t len, double *acc, int *bad, const float *l0 = nullptr) {
  const float *p1 = p0 + kBlock;
  int breaks = 0;
  for (int64_t v = 0; v < len; v += kLanes) {
    for (int l = 0; l < kLanes; l++) {
      const int64_t i = v + l;
      const float a = p0[i], b = p1[i], r0 = rs[2 * i], r1 = rs[2 * i + 1];
      acc[0 * kLanes + l] += static_cast<double>(a * r0);
      acc[1 * kLanes + l] += static_cast<double>(b * r1);
      acc[2 * kLanes + l] += static_cast<double>(a);
      acc[3 * kLanes + l] += static_cast<double>(b);
      acc[4 * kLanes + l] += static_cast<double>(r0);
      acc[5 * kLanes + l] += static_cast<double>(r1);
      if (All) {
        const float d0 = a - r0, d1 = b - r1;
        const float q0 = d0 * d0, q1 = d1 * d1;
        acc[6 * kLanes + l] += static_cast<double>(q0);
        acc[7 * kLanes + l] += static_cast<double>(q1);
        acc[8 * kLanes + l] += static_cast<double>(q0 * r0);
        acc[9 * kLanes + l] += static_cast<double>(q1 * r1);
        acc[10 * kLanes + l] += static_cast<double>(r0 * l0[i]);
        acc[11 * kLanes + l] += static_cast<double>(r1 * l0[kBlock + i]);
      }
      if (Rule == 1) breaks |= !(r0 >= 0.f) | !(r0 <= 1.f) | !(r1 >= 0.f) | !(r1 <= 1.f);
      if (Rule == 2) breaks |= ((r0 != 0.f) & (r0 != 1.f)) | ((r1 != 0.f) & (r1 != 1.f));
    }
  }
  if (Rule != 0) *bad |= breaks;
}

// Adds the voxels' tp, sumP, sumR into acc[row][c][lane] (with `all`, the six rows of modes 2 and 3); with
// `rule` >= 0 also checks the block's values while they are in cache (the losses' input checks, which otherwise
// read both arrays once more): flags[0] |= a logit is not finite, flags[1] |= a target value breaks `rule`.
GENDICE_VECTOR_CLONES
void forwardVoxels(const float *x, const float *r, int64_t C, int64_t begin, int64_t end, double *acc, Scratch &w,
                   int rule, int *flags, bool all) {
  float *p = w.p.data(), *lp = all ? w.lp.data() : nullptr;
  for (int64_t s0 = begin; s0 < end; s0 += kBlock) {
    const int64_t len = std::min(kBlock, end - s0);
    const int64_t o = s0 * C;
    if (C == 2 && len % kLanes == 0) {
      // Two classes: the checks ride along in the softmax's and the sums' loops over the block.
      if (rule >= 0) {
        if (all) softmaxPairs<true, true>(x + o, len, p, &flags[0], lp);
        else softmaxPairs<true>(x + o, len, p, &flags[0]);
      } else {
        if (all) softmaxPairs<false, true>(x + o, len, p, nullptr, lp);
        else softmaxPairs<false>(x + o, len, p, nullptr);
      }
      if (rule == 1) {
        if (all) pairSums<1, true>(p, r + o, len, acc, &flags[1], lp);
        else pairSums<1>(p, r + o, len, acc, &flags[1]);
      } else if (rule == 2) {
        if (all) pairSums<2, true>(p, r + o, len, acc, &flags[1], lp);
        else pairSums<2>(p, r + o, len, acc, &flags[1]);
      } else {
        if (all) pairSums<0, true>(p, r + o, len, acc, &flags[1], lp);
        else pairSums<0>(p, r + o, len, acc, &flags[1]);
      }
      continue;
    }
    if (rule >= 0) {
      flags[0] |= notFinite(x + o, len * C);
      flags[1] |= breaksRule(r + o, len * C, rule);
    }
    softmaxBlock(x + o, len, C, p, w.m.data(), w.sum.data(), lp);
    float *t = w.t.data();
    for (int64_t c = 0; c < C; c++) {
      const float *pc = p + c * kBlock;
      float *rc = w.r.data() + c * kBlock, *sq = w.g.data() + c * kBlock;
      for (int64_t v = 0; v < len; v++) rc[v] = r[o + v * C + c];
      for (int64_t v = 0; v < len; v++) t[v] = pc[v] * rc[v];
      accumulateLanes(acc + (0 * C + c) * kLanes, t, len);
      accumulateLanes(acc + (1 * C + c) * kLanes, pc, len);
      accumulateLanes(acc + (2 * C + c) * kLanes, rc, len);
      if (!all) continue;
      const float *lc = lp + c * kBlock;
      for (int64_t v = 0; v < len; v++) {
        const float d = pc[v] - rc[v];
        sq[v] = d * d;
      }
      accumulateLanes(acc + (3 * C + c) * kLanes, sq, len);
      for (int64_t v = 0; v < len; v++) t[v] = sq[v] * rc[v];
      accumulateLanes(acc + (4 * C + c) * kLanes, t, len);
      for (int64_t v = 0; v < len; v++) t[v] = rc[v] * lc[v];
      accumulateLanes(acc + (5 * C + c) * kLanes, t, len);
    }
  }
}

// The extended statistics (modes 2 and 3): the three sums and three more, rows tp, sumP, sumR,
// sqDiff = Σ (p − r)², sqDiffR = Σ (p − r)²·r, rLogP = Σ r·log p (the sensitivity-specificity and the
// cross-entropy losses).
constexpr int64_t kAllRows = 6;

// dx of the voxels from this image's dStats rows. Three rows (dtp, dsumP, the target's unused):
// g_c = dtp_c·r_c + dsumP_c, dx_c = p_c·(g_c − Σ_k p_k·g_k). With `all`, six rows: g_c also has
// 2(p_c − r_c)(dsqDiff_c + dsqDiffR_c·r_c), and the log-softmax gradient of Σ_c drLogP_c·r_c·log p_c is added:
// dx_c = p_c·(g_c − Σ_k p_k·g_k − Σ_k h_k·r_k) + h_c·r_c with h = drLogP.
GENDICE_VECTOR_CLONES
void backwardVoxels(const float *x, const float *r, int64_t C, int64_t begin, int64_t end, const float *dStats, float *dx, Scratch &w, bool all) {
  const float *dtp = dStats, *dsumP = dStats + C;
  // the rows of `all` (three rows have none: the pointers then stay at the start, never read)
  const float *dsq = all ? dStats + 3 * C : dStats, *dsqR = all ? dStats + 4 * C : dStats, *dlog = all ? dStats + 5 * C : dStats;
  for (int64_t s0 = begin; s0 < end; s0 += kBlock) {
    const int64_t len = std::min(kBlock, end - s0);
    const int64_t o = s0 * C;
    softmaxBlock(x + o, len, C, w.p.data(), w.m.data(), w.sum.data());
    const float *p0 = w.p.data(), *p1 = p0 + kBlock;
    if (C == 2 && !all) {
      const float t0 = dtp[0], t1 = dtp[1], q0 = dsumP[0], q1 = dsumP[1];
      for (int64_t v = 0; v < len; v++) {
        const float g0 = t0 * r[o + 2 * v] + q0, g1 = t1 * r[o + 2 * v + 1] + q1;
        const float dot = p0[v] * g0 + p1[v] * g1;
        dx[o + 2 * v] = p0[v] * (g0 - dot);
        dx[o + 2 * v + 1] = p1[v] * (g1 - dot);
      }
      continue;
    }
    if (C == 2) {
      for (int64_t v = 0; v < len; v++) {
        const float r0 = r[o + 2 * v], r1 = r[o + 2 * v + 1];
        const float g0 = dtp[0] * r0 + dsumP[0] + 2.f * (p0[v] - r0) * (dsq[0] + dsqR[0] * r0);
        const float g1 = dtp[1] * r1 + dsumP[1] + 2.f * (p1[v] - r1) * (dsq[1] + dsqR[1] * r1);
        const float dot = p0[v] * g0 + p1[v] * g1;
        const float hr = dlog[0] * r0 + dlog[1] * r1;
        dx[o + 2 * v] = p0[v] * (g0 - dot - hr) + dlog[0] * r0;
        dx[o + 2 * v + 1] = p1[v] * (g1 - dot - hr) + dlog[1] * r1;
      }
      continue;
    }
    float *dot = w.dot.data(), *hr = w.t.data();
    for (int64_t v = 0; v < len; v++) dot[v] = hr[v] = 0;
    for (int64_t c = 0; c < C; c++) {
      const float *pc = w.p.data() + c * kBlock;
      float *gc = w.g.data() + c * kBlock;
      for (int64_t v = 0; v < len; v++) {
        const float rv = r[o + v * C + c];
        gc[v] = dtp[c] * rv + dsumP[c];
        if (all) {
          gc[v] = gc[v] + 2.f * (pc[v] - rv) * (dsq[c] + dsqR[c] * rv);
          hr[v] += dlog[c] * rv;
        }
        dot[v] += pc[v] * gc[v];
      }
    }
    for (int64_t c = 0; c < C; c++) {
      const float *pc = w.p.data() + c * kBlock, *gc = w.g.data() + c * kBlock;
      if (all) {
        for (int64_t v = 0; v < len; v++) dx[o + v * C + c] = pc[v] * (gc[v] - dot[v] - hr[v]) + dlog[c] * r[o + v * C + c];
      } else {
        for (int64_t v = 0; v < len; v++) dx[o + v * C + c] = pc[v] * (gc[v] - dot[v]);
      }
    }
  }
}

}  // namespace

// softmaxOverlap(0, logits, target, [B, S, C], stats[, checks, rule]): stats [B, 3, C] = tp, sumP, sumR;
//   with checks (Int32Array of 2): checks[0] = 1 if a logit is NaN or ±Inf, checks[1] = 1 if a target value
//   breaks rule (1: outside [0, 1] or NaN, 2: neither 0 nor 1; 0: not checked), else 0.
// softmaxOverlap(1, logits, target, [B, S, C], dLogits, dStats): dLogits [B, S, C] from dStats [B, 3, C]
//   (the sumR row gets no gradient: the target is a constant): g_c = dtp_c·r_c + dsumP_c,
//   dx_c = p_c·(g_c − Σ_k p_k·g_k), the softmax gradient TF.js composes.
// Modes 2 and 3: the same with the six rows tp, sumP, sumR, sqDiff, sqDiffR, rLogP (stats and dStats
//   [B, 6, C]; backwardVoxels has the gradient).
Napi::Value SoftmaxOverlap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 5) throw std::runtime_error("softmaxOverlap: expected at least 5 arguments");
    const int mode = info[0].As<Napi::Number>().Int32Value();
    if (mode < 0 || mode > 3) throw std::runtime_error("softmaxOverlap: unknown mode " + std::to_string(mode));
    const bool all = mode >= 2;
    const int64_t rows = all ? kAllRows : 3;
    const std::vector<int64_t> dims = readInts(info[3], "dims");
    if (dims.size() != 3 || dims[0] <= 0 || dims[1] <= 0 || dims[2] <= 0 || dims[2] > 4096)
      throw std::runtime_error("softmaxOverlap: dims must be [B, S, C] with 0 < C <= 4096");
    const int64_t B = dims[0], S = dims[1], C = dims[2];
    const size_t n = product(dims);
    const float *x = floatData(info[1], n, "logits");
    const float *r = floatData(info[2], n, "target");
    const int64_t chunks = (S + kChunkVoxels - 1) / kChunkVoxels;
    if (mode == 0 || mode == 2) {
      float *stats = floatData(info[4], static_cast<size_t>(B * rows * C), "stats");
      // Optional value checks: checks (Int32Array of 2, written 0 or 1) and the target rule (0 none,
      // 1 unit interval, 2 binary).
      int32_t *checks = nullptr;
      int rule = -1;
      if (info.Length() > 6 && info[5].IsTypedArray()) {
        Napi::TypedArray t = info[5].As<Napi::TypedArray>();
        if (t.TypedArrayType() != napi_int32_array || t.ElementLength() != 2)
          throw std::runtime_error("softmaxOverlap: checks must be an Int32Array of 2");
        checks = t.As<Napi::Int32Array>().Data();
        rule = info[6].As<Napi::Number>().Int32Value();
        if (rule < 0 || rule > 2) throw std::runtime_error("softmaxOverlap: unknown target rule " + std::to_string(rule));
      }
      // partial[(b, chunk)][row][c][lane]
      const int64_t perChunk = rows * C * kLanes;
      std::vector<double> partial(static_cast<size_t>(B * chunks * perChunk), 0.0);
      std::vector<int> flags(static_cast<size_t>(B * chunks * 2), 0);
#pragma omp parallel if (n >= (1 << 16))
      {
        Scratch w(C);
#pragma omp for schedule(static) collapse(2)
        for (int64_t b = 0; b < B; b++) {
          for (int64_t k = 0; k < chunks; k++) {
            const int64_t begin = b * S + k * kChunkVoxels, end = b * S + std::min(S, (k + 1) * kChunkVoxels);
            double *acc = partial.data() + (b * chunks + k) * perChunk;
            int *f = flags.data() + (b * chunks + k) * 2;
            forwardVoxels(x, r, C, begin, end, acc, w, rule, f, all);
          }
        }
      }
      if (checks != nullptr) {
        checks[0] = checks[1] = 0;
        for (size_t i = 0; i < flags.size(); i += 2) {
          checks[0] |= flags[i] != 0;
          checks[1] |= flags[i + 1] != 0;
        }
      }
      for (int64_t b = 0; b < B; b++) {
        for (int64_t j = 0; j < rows * C; j++) {
          double total = 0;
          for (int64_t k = 0; k < chunks; k++)
            for (int l = 0; l < kLanes; l++) total += partial[static_cast<size_t>((b * chunks + k) * perChunk + j * kLanes + l)];
          stats[b * rows * C + j] = static_cast<float>(total);
        }
      }
    } else {
      if (info.Length() < 6) throw std::runtime_error("softmaxOverlap: the gradient needs dStats");
      float *dx = floatData(info[4], n, "dLogits");
      const float *dStats = floatData(info[5], static_cast<size_t>(B * rows * C), "dStats");
      adviseHugePages(dx, n);
#pragma omp parallel if (n >= (1 << 16))
      {
        Scratch w(C);
#pragma omp for schedule(static) collapse(2)
        for (int64_t b = 0; b < B; b++) {
          for (int64_t k = 0; k < chunks; k++) {
            const int64_t begin = b * S + k * kChunkVoxels, end = b * S + std::min(S, (k + 1) * kChunkVoxels);
            backwardVoxels(x, r, C, begin, end, dStats + b * rows * C, dx, w, all);
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
