// The functions the addon exports (registered in addon.cc); their JS side is src/engine/addon.ts's NativeAddon.
#pragma once
#include <napi.h>

namespace gendice {

// convolution.cc: 2D/3D convolutions over oneDNN (forward, backward data, backward weights), and its version.
Napi::Value Conv(const Napi::CallbackInfo &info);
Napi::Value DnnlVersion(const Napi::CallbackInfo &info);
Napi::Value CpuIsa(const Napi::CallbackInfo &info);
Napi::Value RetainFreedMemory(const Napi::CallbackInfo &info);

// The memory-bound kernels (single-threaded, vectorised by the compiler), bit-identical to the JS kernels:
// float32 +,-,*,/ computed in double and rounded equal the float32 operation, and the sum accumulates in
// double in the same order.
Napi::Value Binary(const Napi::CallbackInfo &info);    // elementwise.cc
Napi::Value Unary(const Napi::CallbackInfo &info);     // elementwise.cc
Napi::Value Sum(const Napi::CallbackInfo &info);       // sum.cc
Napi::Value MaxPool(const Napi::CallbackInfo &info);   // maxPool.cc
Napi::Value CopyRuns(const Napi::CallbackInfo &info);  // copyRuns.cc

// maxout.cc: gendice's fused max-out over channel blocks and its gradient.
Napi::Value Maxout(const Napi::CallbackInfo &info);

// optimizer.cc: one fused Adam or SGD-momentum update of a weight and its slots (OpenMP across elements).
Napi::Value OptimizerUpdate(const Napi::CallbackInfo &info);

// softmaxOverlap.cc: softmax over channels with the Dice-type overlap sums, and their gradient, fused.
Napi::Value SoftmaxOverlap(const Napi::CallbackInfo &info);

// valueScan.cc: the first value of an array that breaks a rule (finite, in [0, 1], 0/1, a label below a limit).
Napi::Value ScanValues(const Napi::CallbackInfo &info);

// windowBlend.cc: sliding-window blending, the weighted accumulation of a window's outputs into a grid (in
// double, bit-identical to the JS loops) and the final division by the accumulated weights.
Napi::Value BlendWindow(const Napi::CallbackInfo &info);
Napi::Value NormaliseBlend(const Napi::CallbackInfo &info);
// elementwise.cc: the ReLU gradient dy · step(y) in one pass (OpenMP above 2^18 elements).
Napi::Value ReluGrad(const Napi::CallbackInfo &info);
// elementwise.cc: exp, log, log1p, sigmoid, tanh in double, rounded to float32, as TF.js's cpu kernels.
Napi::Value Transcendental(const Napi::CallbackInfo &info);

}  // namespace gendice
