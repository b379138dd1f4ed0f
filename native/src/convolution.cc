// 2D/3D convolutions (forward, backward-data, backward-weights) over oneDNN, computed directly on TF.js's
// channels-last activations (NHWC/NDHWC) and HWIO/DHWIO filters. Buffers come from JS (Float32Array);
// each geometry's oneDNN objects are built once per thread (ConvPlan).
#include <oneapi/dnnl/dnnl.hpp>

#include <stdexcept>
#include <string>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <limits>
#include <unordered_map>
#include <vector>

#include "arguments.h"
#include "kernels.h"

extern "C" {
// libgomp, which libdnnl links: the thread count of the calling thread's next parallel regions.
int omp_get_max_threads(void);
void omp_set_num_threads(int);
}

namespace gendice {
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

// Activation codes shared with src/engine/nativeConv.ts (its ACTIVATIONS).
void appendActivation(dnnl::post_ops &ops, int activation, float alpha) {
  switch (activation) {
    case 0: return;
    case 1:
      // oneDNN's relu gives x·0 = -0 for negative x, TF.js's +0; adding +0 (linear 1·x + 0) makes it +0 and
      // changes no other value (NaN stays NaN), so the fused output equals Conv2D + Add + Relu bit for bit.
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, 0.f);
      return;
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
  // The bias is a per-channel binary-add post-op, not the convolution's own bias: post-ops apply to the
  // finished sum, as TF.js's Add after Conv2D does, whereas some oneDNN kernels add the convolution bias to
  // the first partial sum of input channels (a different rounding).
  if (hasBias) {
    memory::dims biasDims(dstDims.size(), 1);
    biasDims[1] = dstDims[1];
    plan.biasMd = memory::desc(biasDims, memory::data_type::f32, spatial == 2 ? tag::abcd : tag::abcde);
  }
  // Weights in the layout oneDNN prefers (blocked): its JIT kernels need it, plain hwio means gemm.
  const memory::desc wAnyMd(wDims, memory::data_type::f32, tag::any);
  const auto prop = mode == 0 ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training;
  dnnl::convolution_forward::desc fwdDesc(prop, dnnl::algorithm::convolution_direct, plan.srcMd, wAnyMd, memory::desc(),
                                          plan.dstMd, strides, dilations, padL, padR);
  dnnl::primitive_attr fwdAttr;
  if (hasBias || activation != 0) {
    dnnl::post_ops ops;
    if (hasBias) ops.append_binary(dnnl::algorithm::binary_add, plan.biasMd);
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

}  // namespace

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
    const memory::dims srcDims = readInts(info[1], "srcDims");
    const memory::dims wDims = readInts(info[2], "weightDims");
    const memory::dims dstDims = readInts(info[3], "dstDims");
    const memory::dims strides = readInts(info[4], "strides");
    const memory::dims dilations = readInts(info[5], "dilations");
    const memory::dims padL = readInts(info[6], "padL");
    const memory::dims padR = readInts(info[7], "padR");
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
        if (bias != nullptr) args.insert({DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, memory(plan.biasMd, eng, bias)});
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

Napi::Value DnnlVersion(const Napi::CallbackInfo &info) {
  const dnnl_version_t *v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->patch));
}

// cpuIsa(): the instruction set oneDNN's JIT kernels use on this CPU ('avx512_core', 'avx2', ...). The 3D
// weight gradient decides on it (nativeConv.ts): oneDNN 2.6 has JIT kernels for channels-last 3D weight
// gradients from avx512_core on, and only gemm below.
Napi::Value CpuIsa(const Napi::CallbackInfo &info) {
  const char *name = "unknown";
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: name = "sse41"; break;
    case dnnl::cpu_isa::avx: name = "avx"; break;
    case dnnl::cpu_isa::avx2: name = "avx2"; break;
    case dnnl::cpu_isa::avx2_vnni: name = "avx2_vnni"; break;
    case dnnl::cpu_isa::avx512_mic: name = "avx512_mic"; break;
    case dnnl::cpu_isa::avx512_mic_4ops: name = "avx512_mic_4ops"; break;
    case dnnl::cpu_isa::avx512_core: name = "avx512_core"; break;
    case dnnl::cpu_isa::avx512_core_vnni: name = "avx512_core_vnni"; break;
    case dnnl::cpu_isa::avx512_core_bf16: name = "avx512_core_bf16"; break;
    case dnnl::cpu_isa::avx512_core_amx: name = "avx512_core_amx"; break;
    default: break;
  }
  return Napi::String::New(info.Env(), name);
}

// retainFreedMemory(): glibc's malloc keeps freed memory for reuse instead of returning it to the kernel
// (Linux with glibc; elsewhere false). Arrays above its mmap threshold (32 MB at most) are otherwise mapped
// fresh for every allocation and unmapped when freed, so each new one costs a page fault per page and the
// kernel's zeroing of every byte: 6-7 ms of a 25-35 ms GDL step on [4, 96³, 2] whose 57 MB gradient is new
// each call (measured). M_MMAP_MAX = 0 serves every allocation from the heap, M_TRIM_THRESHOLD keeps the
// heap's free top. The resident set then stays at its high-water mark, as PyTorch's does between steps.
Napi::Value RetainFreedMemory(const Napi::CallbackInfo &info) {
#if defined(__GLIBC__)
  const bool ok = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max()) == 1;
  return Napi::Boolean::New(info.Env(), ok);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace gendice
