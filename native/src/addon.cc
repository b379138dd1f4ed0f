// gendice native engine: 2D/3D convolutions (forward, backward-data, backward-weights) over oneDNN,
// computed directly on TF.js's channels-last activations (NHWC/NDHWC) and HWIO/DHWIO filters.
// Buffers come from JS (Float32Array); oneDNN's primitive cache makes rebuilding descriptors cheap.
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

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
    const tag actTag = spatial == 2 ? tag::nhwc : tag::ndhwc;
    const tag wTag = spatial == 2 ? tag::hwio : tag::dhwio;
    const memory::desc srcMd(srcDims, memory::data_type::f32, actTag);
    const memory::desc wUserMd(wDims, memory::data_type::f32, wTag);
    // Weights in the layout oneDNN prefers (blocked): its JIT kernels need it, plain hwio means gemm.
    const memory::desc wAnyMd(wDims, memory::data_type::f32, tag::any);
    const memory::desc dstMd(dstDims, memory::data_type::f32, actTag);
    const memory::desc noBias;
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
    const memory::desc biasMd = bias != nullptr ? memory::desc({dstDims[1]}, memory::data_type::f32, tag::x) : noBias;
    const auto prop = mode == 0 ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training;
    dnnl::convolution_forward::desc fwdDesc(prop, dnnl::algorithm::convolution_direct, srcMd, wAnyMd, biasMd, dstMd,
                                            strides, dilations, padL, padR);
    dnnl::primitive_attr fwdAttr;
    if (activation != 0) {
      dnnl::post_ops ops;
      appendActivation(ops, activation, alpha);
      fwdAttr.set_post_ops(ops);
    }
    dnnl::convolution_forward::primitive_desc fwdPd(fwdDesc, fwdAttr, eng);

    // User weights (hwio) as the primitive wants them: reordered when the layouts differ.
    auto weightsFor = [&](const memory::desc &want, float *data) {
      memory user(wUserMd, eng, data);
      if (want == wUserMd) return user;
      memory blocked(want, eng);
      dnnl::reorder(user, blocked).execute(strm, user, blocked);
      return blocked;
    };

    if (mode == 0) {
      memory src(srcMd, eng, floatData(info[8], product(srcDims), "src"));
      memory w = weightsFor(fwdPd.weights_desc(), floatData(info[9], product(wDims), "weights"));
      memory dst(dstMd, eng, floatData(info[10], product(dstDims), "dst"));
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
      if (bias != nullptr) args.insert({DNNL_ARG_BIAS, memory(biasMd, eng, bias)});
      dnnl::convolution_forward(fwdPd).execute(strm, args);
    } else if (mode == 1) {
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, srcMd, wAnyMd, dstMd, strides,
                                              dilations, padL, padR);
      dnnl::convolution_backward_data::primitive_desc pd(d, eng, fwdPd);
      memory diffDst(dstMd, eng, floatData(info[8], product(dstDims), "diffDst"));
      memory w = weightsFor(pd.weights_desc(), floatData(info[9], product(wDims), "weights"));
      memory diffSrc(srcMd, eng, floatData(info[10], product(srcDims), "diffSrc"));
      dnnl::convolution_backward_data(pd).execute(
          strm, {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, diffSrc}});
    } else if (mode == 2) {
      // Activations stay channels-last: oneDNN 2.6 then uses JIT kernels in 2D and gemm in 3D; channel-blocked
      // 3D activations were measured to fall to its reference kernel, 'any' to gemm on NCDHW plus reorders.
      const memory::desc srcAnyMd = srcMd;
      const memory::desc dstAnyMd = dstMd;
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, srcAnyMd, wAnyMd, dstAnyMd,
                                                 strides, dilations, padL, padR);
      dnnl::convolution_backward_weights::primitive_desc pd(d, eng, fwdPd);
      auto as = [&](const memory::desc &want, const memory::desc &have, float *data) {
        memory user(have, eng, data);
        if (want == have) return user;
        memory other(want, eng);
        dnnl::reorder(user, other).execute(strm, user, other);
        return other;
      };
      memory src = as(pd.src_desc(), srcMd, floatData(info[8], product(srcDims), "src"));
      memory diffDst = as(pd.diff_dst_desc(), dstMd, floatData(info[9], product(dstDims), "diffDst"));
      memory userDiffW(wUserMd, eng, floatData(info[10], product(wDims), "diffWeights"));
      const bool direct = pd.diff_weights_desc() == wUserMd;
      memory diffW = direct ? userDiffW : memory(pd.diff_weights_desc(), eng);
      dnnl::convolution_backward_weights(pd).execute(
          strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffW}});
      if (!direct) dnnl::reorder(diffW, userDiffW).execute(strm, diffW, userDiffW);
    } else {
      throw std::runtime_error("unknown mode " + std::to_string(mode));
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

Napi::Value Version(const Napi::CallbackInfo &info) {
  const dnnl_version_t *v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->patch));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv", Napi::Function::New(env, Conv));
  exports.Set("dnnlVersion", Napi::Function::New(env, Version));
  return exports;
}

}  // namespace

NODE_API_MODULE(gendice_dnnl, Init)
