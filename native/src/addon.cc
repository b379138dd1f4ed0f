// gendice native engine: the module's registration. The kernels are in convolution.cc (oneDNN) and in
// elementwise.cc, sum.cc, maxPool.cc, copyRuns.cc, maxout.cc, optimizer.cc, softmaxOverlap.cc, valueScan.cc (memory-bound loops); kernels.h lists them.
#include <napi.h>

#include "kernels.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv", Napi::Function::New(env, gendice::Conv));
  exports.Set("dnnlVersion", Napi::Function::New(env, gendice::DnnlVersion));
  exports.Set("cpuIsa", Napi::Function::New(env, gendice::CpuIsa));
  exports.Set("retainFreedMemory", Napi::Function::New(env, gendice::RetainFreedMemory));
  exports.Set("binary", Napi::Function::New(env, gendice::Binary));
  exports.Set("unary", Napi::Function::New(env, gendice::Unary));
  exports.Set("sum", Napi::Function::New(env, gendice::Sum));
  exports.Set("maxPool", Napi::Function::New(env, gendice::MaxPool));
  exports.Set("copyRuns", Napi::Function::New(env, gendice::CopyRuns));
  exports.Set("maxout", Napi::Function::New(env, gendice::Maxout));
  exports.Set("optimizerUpdate", Napi::Function::New(env, gendice::OptimizerUpdate));
  exports.Set("softmaxOverlap", Napi::Function::New(env, gendice::SoftmaxOverlap));
  exports.Set("scanValues", Napi::Function::New(env, gendice::ScanValues));
  exports.Set("blendWindow", Napi::Function::New(env, gendice::BlendWindow));
  exports.Set("normaliseBlend", Napi::Function::New(env, gendice::NormaliseBlend));
  exports.Set("reluGrad", Napi::Function::New(env, gendice::ReluGrad));
  exports.Set("transcendental", Napi::Function::New(env, gendice::Transcendental));
  return exports;
}

}  // namespace

NODE_API_MODULE(gendice_dnnl, Init)
