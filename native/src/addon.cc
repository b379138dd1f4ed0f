// gendice native engine: 2D/3D convolutions (forward, backward-data, backward-weights) over oneDNN,
// computed directly on TF.js's channels-last activations (NHWC/NDHWC) and HWIO/DHWIO filters.
// Buffers come from JS (Float32Array); oneDNN's primitive cache makes rebuilding descriptors cheap.
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

extern "C" {
// libgomp, which libdnnl links: the thread count of the calling thread's next parallel regions.
int omp_get_max_threads(void);
void omp_set_num_threads(int);
}

namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;

dnnl::engine &cpuEngine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream &cpuStream() {
  static dnnl::stream s(cpuEngine());
  return s;
}

memory::dims readDims(const Napi::Value &v, const char *what) {
  if (!v.IsArray()) throw std::runtime_error(std::string("expected an array for ") + what);
  Napi::Array a = v.As<Napi::Array>();
  memory::dims out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

float *floatData(const Napi::Value &v, size_t expected, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw std::runtime_error(std::string("expected a Float32Array for ") + what);
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  if (a.ElementLength() != expected)
    throw std::runtime_error(std::string("wrong length for ") + what + ": got " +
                             std::to_string(a.ElementLength()) + ", expected " + std::to_string(expected));
  return a.Data();
}

size_t product(const memory::dims &d) {
  size_t n = 1;
  for (auto x : d) n *= static_cast<size_t>(x);
  return n;
}

// Activation codes shared with src/engine/native.ts.
void appendActivation(dnnl::post_ops &ops, int activation, float alpha) {
  switch (activation) {
    case 0: return;
    case 1: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); return;
    case 2: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); return;
    case 3: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); return;
    case 4: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); return;
    case 5: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); return;
    default: throw std::runtime_error("unknown activation code " + std::to_string(activation));
  }
}

// A convolution's oneDNN objects for one geometry, built once per thread: building primitive descriptors
// (dispatch over oneDNN's implementations) and reorder primitives cost about 0.1-0.25 ms per call, as much
// as a small convolution itself (measured: 0.54 ms per call for a [16, 32², 8] weight gradient whose
// oneDNN execution is 0.30 ms). thread_local: worker threads that load the addon never share one.
struct ConvPlan {
  dnnl::primitive conv;
  memory::desc srcMd, dstMd, wUserMd;
  // Weights (mode 0, 1) or weight gradient (mode 2) in the layout the primitive wants, and the reorder
  // from (mode 0, 1) or to (mode 2) the user's [D]HWIO layout when the layouts differ.
  memory::desc wWant;
  bool wDirect = true;
  dnnl::reorder wReorder;
  // Mode 2 only: src / diff_dst layouts the primitive wants, when they differ from channels-last.
  memory::desc srcWant, dstWant;
  bool srcDirect = true, dstDirect = true;
  dnnl::reorder srcReorder, dstReorder;
  bool hasBias = false;
  memory::desc biasMd;
};

std::string planKey(int mode, const std::vector<const memory::dims *> &dims, bool bias, int activation, float alpha, int threads) {
  std::string key = std::to_string(mode);
  for (const memory::dims *d : dims) {
    key += '|';
    for (auto v : *d) {
      key += std::to_string(v);
      key += ',';
    }
  }
  key += '|' + std::to_string(bias) + '|' + std::to_string(activation) + '|' + std::to_string(alpha) + '|' + std::to_string(threads);
  return key;
}

ConvPlan makePlan(int mode, const memory::dims &srcDims, const memory::dims &wDims, const memory::dims &dstDims,
                  const memory::dims &strides, const memory::dims &dilations, const memory::dims &padL,
                  const memory::dims &padR, bool hasBias, int activation, float alpha) {
  const size_t spatial = srcDims.size() - 2;
  const tag actTag = spatial == 2 ? tag::nhwc : tag::ndhwc;
  const tag wTag = spatial == 2 ? tag::hwio : tag::dhwio;
  dnnl::engine &eng = cpuEngine();
  ConvPlan plan;
  plan.srcMd = memory::desc(srcDims, memory::data_type::f32, actTag);
  plan.wUserMd = memory::desc(wDims, memory::data_type::f32, wTag);
  plan.dstMd = memory::desc(dstDims, memory::data_type::f32, actTag);
  plan.hasBias = hasBias;
  if (hasBias) plan.biasMd = memory::desc({dstDims[1]}, memory::data_type::f32, tag::x);
  // Weights in the layout oneDNN prefers (blocked): its JIT kernels need it, plain hwio means gemm.
  const memory::desc wAnyMd(wDims, memory::data_type::f32, tag::any);
  const auto prop = mode == 0 ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training;
  dnnl::convolution_forward::desc fwdDesc(prop, dnnl::algorithm::convolution_direct, plan.srcMd, wAnyMd,
                                          hasBias ? plan.biasMd : memory::desc(), plan.dstMd, strides, dilations, padL, padR);
  dnnl::primitive_attr fwdAttr;
  if (activation != 0) {
    dnnl::post_ops ops;
    appendActivation(ops, activation, alpha);
    fwdAttr.set_post_ops(ops);
  }
  dnnl::convolution_forward::primitive_desc fwdPd(fwdDesc, fwdAttr, eng);
  auto weightsIn = [&](const memory::desc &want) {
    plan.wWant = want;
    plan.wDirect = want == plan.wUserMd;
    if (!plan.wDirect) plan.wReorder = dnnl::reorder(dnnl::reorder::primitive_desc(eng, plan.wUserMd, eng, want));
  };
  if (mode == 0) {
    weightsIn(fwdPd.weights_desc());
    plan.conv = dnnl::convolution_forward(fwdPd);
  } else if (mode == 1) {
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, plan.srcMd, wAnyMd, plan.dstMd, strides,
                                            dilations, padL, padR);
    dnnl::convolution_backward_data::primitive_desc pd(d, eng, fwdPd);
    weightsIn(pd.weights_desc());
    plan.conv = dnnl::convolution_backward_data(pd);
  } else {
    // Activations stay channels-last: oneDNN 2.6 then uses JIT kernels in 2D and gemm in 3D; channel-blocked
    // 3D activations were measured to fall to its reference kernel, 'any' to gemm on NCDHW plus reorders.
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, plan.srcMd, wAnyMd, plan.dstMd,
                                               strides, dilations, padL, padR);
    dnnl::convolution_backward_weights::primitive_desc pd(d, eng, fwdPd);
    plan.srcWant = pd.src_desc();
    plan.srcDirect = plan.srcWant == plan.srcMd;
    if (!plan.srcDirect) plan.srcReorder = dnnl::reorder(dnnl::reorder::primitive_desc(eng, plan.srcMd, eng, plan.srcWant));
    plan.dstWant = pd.diff_dst_desc();
    plan.dstDirect = plan.dstWant == plan.dstMd;
    if (!plan.dstDirect) plan.dstReorder = dnnl::reorder(dnnl::reorder::primitive_desc(eng, plan.dstMd, eng, plan.dstWant));
    plan.wWant = pd.diff_weights_desc();
    plan.wDirect = plan.wWant == plan.wUserMd;
    if (!plan.wDirect) plan.wReorder = dnnl::reorder(dnnl::reorder::primitive_desc(eng, plan.wWant, eng, plan.wUserMd));
    plan.conv = dnnl::convolution_backward_weights(pd);
  }
  return plan;
}

// conv(mode, srcDims, weightDims, dstDims, strides, dilations, padL, padR, a, b, out, bias, activation, alpha)
//   dims are logical oneDNN dims: src/dst (N, C, [D,] H, W), weights (O, I, [D,] H, W);
//   dilations follow oneDNN (0 = none).
//   mode 0 forward:          a = src,      b = weights,  out = dst          (bias, activation optional)
//   mode 1 backward data:    a = diff_dst, b = weights,  out = diff_src
//   mode 2 backward weights: a = src,      b = diff_dst, out = diff_weights
Napi::Value Conv(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 11) throw std::runtime_error("expected at least 11 arguments");
    const int mode = info[0].As<Napi::Number>().Int32Value();
    if (mode < 0 || mode > 2) throw std::runtime_error("unknown mode " + std::to_string(mode));
    const memory::dims srcDims = readDims(info[1], "srcDims");
    const memory::dims wDims = readDims(info[2], "weightDims");
    const memory::dims dstDims = readDims(info[3], "dstDims");
    const memory::dims strides = readDims(info[4], "strides");
    const memory::dims dilations = readDims(info[5], "dilations");
    const memory::dims padL = readDims(info[6], "padL");
    const memory::dims padR = readDims(info[7], "padR");
    const size_t spatial = srcDims.size() - 2;
    if (spatial != 2 && spatial != 3) throw std::runtime_error("only 2D and 3D convolutions are supported");
    if (wDims.size() != srcDims.size() || dstDims.size() != srcDims.size() || strides.size() != spatial ||
        dilations.size() != spatial || padL.size() != spatial || padR.size() != spatial)
      throw std::runtime_error("inconsistent ranks of dims, strides, dilations or paddings");
    dnnl::engine &eng = cpuEngine();
    dnnl::stream &strm = cpuStream();

    float *bias = nullptr;
    int activation = 0;
    float alpha = 0.f;
    if (mode == 0) {
      if (info.Length() > 11 && info[11].IsTypedArray())
        bias = floatData(info[11], static_cast<size_t>(dstDims[1]), "bias");
      if (info.Length() > 12) activation = info[12].As<Napi::Number>().Int32Value();
      if (info.Length() > 13) alpha = info[13].As<Napi::Number>().FloatValue();
    }
    // oneDNN 2.6's gemm-based 3D weight gradient with a single input channel was measured 5-80x slower on
    // 2 threads than on 1 (its per-thread reduction dominates): run that case on one thread. The thread
    // count is part of oneDNN's primitive cache key and of the plan's key, so both variants stay cached.
    struct ThreadLimit {
      int saved = 0;
      explicit ThreadLimit(bool one) {
        if (one) {
          saved = omp_get_max_threads();
          omp_set_num_threads(1);
        }
      }
      ~ThreadLimit() {
        if (saved > 0) omp_set_num_threads(saved);
      }
    } limit(mode == 2 && spatial == 3 && srcDims[1] == 1);

    static thread_local std::unordered_map<std::string, ConvPlan> plans;
    const std::string key = planKey(mode, {&srcDims, &wDims, &dstDims, &strides, &dilations, &padL, &padR}, bias != nullptr,
                                    activation, alpha, omp_get_max_threads());
    auto found = plans.find(key);
    if (found == plans.end()) {
      if (plans.size() >= 1024) plans.clear();
      found = plans.emplace(key, makePlan(mode, srcDims, wDims, dstDims, strides, dilations, padL, padR, bias != nullptr,
                                          activation, alpha)).first;
    }
    const ConvPlan &plan = found->second;

    if (mode == 0 || mode == 1) {
      memory a(mode == 0 ? plan.srcMd : plan.dstMd, eng, floatData(info[8], product(mode == 0 ? srcDims : dstDims), mode == 0 ? "src" : "diffDst"));
      memory wUser(plan.wUserMd, eng, floatData(info[9], product(wDims), "weights"));
      memory w = wUser;
      if (!plan.wDirect) {
        w = memory(plan.wWant, eng);
        plan.wReorder.execute(strm, wUser, w);
      }
      memory out(mode == 0 ? plan.dstMd : plan.srcMd, eng, floatData(info[10], product(mode == 0 ? dstDims : srcDims), mode == 0 ? "dst" : "diffSrc"));
      if (mode == 0) {
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, out}};
        if (bias != nullptr) args.insert({DNNL_ARG_BIAS, memory(plan.biasMd, eng, bias)});
        plan.conv.execute(strm, args);
      } else {
        plan.conv.execute(strm, {{DNNL_ARG_DIFF_DST, a}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, out}});
      }
    } else {
      memory srcUser(plan.srcMd, eng, floatData(info[8], product(srcDims), "src"));
      memory dstUser(plan.dstMd, eng, floatData(info[9], product(dstDims), "diffDst"));
      memory src = srcUser, diffDst = dstUser;
      if (!plan.srcDirect) {
        src = memory(plan.srcWant, eng);
        plan.srcReorder.execute(strm, srcUser, src);
      }
      if (!plan.dstDirect) {
        diffDst = memory(plan.dstWant, eng);
        plan.dstReorder.execute(strm, dstUser, diffDst);
      }
      memory userDiffW(plan.wUserMd, eng, floatData(info[10], product(wDims), "diffWeights"));
      memory diffW = plan.wDirect ? userDiffW : memory(plan.wWant, eng);
      plan.conv.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffW}});
      if (!plan.wDirect) plan.wReorder.execute(strm, diffW, userDiffW);
    }
    strm.wait();
    return env.Undefined();
  } catch (const dnnl::error &e) {
    Napi::Error::New(env, std::string("gendice native conv: oneDNN: ") + e.what()).ThrowAsJavaScriptException();
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native conv: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// ---- Memory-bound kernels (single-threaded, vectorised by the compiler) ----
// Results are bit-identical to the JS kernels: float32 +,-,*,/ computed in double and rounded equal the
// float32 operation, and the sum accumulates in double in the same order.

std::vector<int64_t> readInts(const Napi::Value &v, const char *what) {
  memory::dims d = readDims(v, what);
  return std::vector<int64_t>(d.begin(), d.end());
}

Napi::Float32Array f32(const Napi::Value &v, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw std::runtime_error(std::string("expected a Float32Array for ") + what);
  return v.As<Napi::Float32Array>();
}

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

template <int OP>
void binaryLoop(float *out, size_t outLen, const float *a, const float *b, const std::vector<int64_t> &dims,
                const std::vector<int64_t> &aStr, const std::vector<int64_t> &bStr) {
  const size_t m = dims.size();
  const int64_t n = dims[m - 1];
  const int64_t ai = aStr[m - 1], bi = bStr[m - 1];
  const size_t outer = outLen / static_cast<size_t>(n);
  std::vector<int64_t> idx(m, 0);
  int64_t ia = 0, ib = 0;
  for (size_t o = 0; o < outer; o++) {
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
      for (size_t i = 0; i < n; i++) o[i] = xs[i] < 0.f ? 0.f : xs[i];
    } else if (op == 1) {
      for (size_t i = 0; i < n; i++) {
        const float v = xs[i];
        o[i] = v > 0.f ? 1.f : (v != v ? v : alpha);
      }
    } else if (op == 2) {
      for (size_t i = 0; i < n; i++) o[i] = -xs[i];
    } else if (op == 3) {
      for (size_t i = 0; i < n; i++) o[i] = std::fabs(xs[i]);
    } else if (op == 4) {
      for (size_t i = 0; i < n; i++) o[i] = std::sqrt(xs[i]);
    } else if (op == 5) {
      for (size_t i = 0; i < n; i++) o[i] = xs[i] * xs[i];
    } else {
      throw std::runtime_error("unary: unknown op");
    }
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

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
    float *os = out.Data();
    for (size_t i = 0; i < outSize; i++) os[i] = static_cast<float>(acc[i]);
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

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
    if (mode == 0) {
      // Forward: a running maximum per channel, branch-free so that it vectorises over the channels
      // (v > m ? v : m keeps the first of equal values and ignores NaN, as TF.js's pixel > max test).
      int64_t o = 0;
      for (int64_t b = 0; b < B; b++)
        for (int64_t od = 0; od < OD; od++)
          for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++, o += C) {
              float *__restrict m = as + o;
              for (int64_t c = 0; c < C; c++) m[c] = -INFINITY;
              for (int64_t fd = 0; fd < fD; fd++) {
                const int64_t d = od * sD - pD + fd * dD;
                if (d < 0 || d >= D) continue;
                for (int64_t fh = 0; fh < fH; fh++) {
                  const int64_t h = oh * sH - pH + fh * dH;
                  if (h < 0 || h >= H) continue;
                  for (int64_t fw = 0; fw < fW; fw++) {
                    const int64_t w = ow * sW - pW + fw * dW;
                    if (w < 0 || w >= W) continue;
                    const float *__restrict v = xs + (((b * D + d) * H + h) * W + w) * C;
                    for (int64_t c = 0; c < C; c++) m[c] = v[c] > m[c] ? v[c] : m[c];
                  }
                }
              }
            }
      return env.Undefined();
    }
    // Gradient: the window's maximum per channel, then (taps in reverse) the first tap that holds it, both
    // branch-free so that they vectorise over the channels; dy goes to that tap. Same rule as TF.js's kernel
    // and the forward pass: the first strict maximum in window order, NaN ignored, nothing for a window
    // without a value above -Infinity.
    std::vector<float> best(C);
    std::vector<int32_t> first(C);
    std::vector<int64_t> tapBase;
    tapBase.reserve(static_cast<size_t>(fD * fH * fW));
    int64_t o = 0;
    for (int64_t b = 0; b < B; b++)
      for (int64_t od = 0; od < OD; od++)
        for (int64_t oh = 0; oh < OH; oh++)
          for (int64_t ow = 0; ow < OW; ow++, o += C) {
            tapBase.clear();
            for (int64_t fd = 0; fd < fD; fd++) {
              const int64_t d = od * sD - pD + fd * dD;
              if (d < 0 || d >= D) continue;
              for (int64_t fh = 0; fh < fH; fh++) {
                const int64_t h = oh * sH - pH + fh * dH;
                if (h < 0 || h >= H) continue;
                for (int64_t fw = 0; fw < fW; fw++) {
                  const int64_t w = ow * sW - pW + fw * dW;
                  if (w >= 0 && w < W) tapBase.push_back((((b * D + d) * H + h) * W + w) * C);
                }
              }
            }
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
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// JavaScript's Math.max on float32 values: NaN wins, +0 is above -0.
inline float jsMax(float m, float v) {
  if (m != m) return m;
  if (v != v) return v;
  if (v > m) return v;
  if (m > v) return m;
  return std::signbit(m) ? v : m;
}

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
    for (int64_t k = 0; k < count; k++) std::memcpy(d + k * ds, s + k * ss, static_cast<size_t>(run) * sizeof(float));
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value Version(const Napi::CallbackInfo &info) {
  const dnnl_version_t *v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->patch));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv", Napi::Function::New(env, Conv));
  exports.Set("dnnlVersion", Napi::Function::New(env, Version));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("sum", Napi::Function::New(env, Sum));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("copyRuns", Napi::Function::New(env, CopyRuns));
  exports.Set("maxout", Napi::Function::New(env, Maxout));
  return exports;
}

}  // namespace

NODE_API_MODULE(gendice_dnnl, Init)
