// scanValues: the first value of an array that breaks a rule, at memory speed (src/engine/valueScan.ts);
// the losses' input checks run it instead of their JS loops on the native engine. Blocks of values are first
// tested as a whole in a branch-free loop that the compiler vectorises (no trapping math: the comparisons
// become vector selects), and only a block that holds a bad value is searched for its index.
#pragma GCC optimize("no-trapping-math")
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "arguments.h"
#include "kernels.h"

namespace gendice {
namespace {

constexpr int64_t kBlock = 1024;

// Whether any of v[0..len) breaks rule `kind` (firstBreak's rules, limit as T), without branches.
template <typename T>
bool anyBreaks(const T *v, int64_t len, int kind, T limit) {
  int bad = 0;
  if (kind == 0) {
    for (int64_t i = 0; i < len; i++) bad |= !(v[i] - v[i] == 0);  // x − x is NaN exactly for NaN and ±Inf
  } else if (kind == 1) {
    for (int64_t i = 0; i < len; i++) bad |= !(v[i] >= 0) | !(v[i] <= 1);
  } else if (kind == 2) {
    for (int64_t i = 0; i < len; i++) bad |= (v[i] != 0) & (v[i] != 1);
  } else {
    for (int64_t i = 0; i < len; i++) bad |= !(v[i] >= 0) | !(v[i] < limit) | (v[i] != std::floor(v[i]));
  }
  return bad != 0;
}

// kind 0: not finite; 1: not in [0, 1] (NaN breaks it); 2: neither 0 nor 1; 3: not an integer in [0, limit).
template <typename T>
int64_t firstBreak(const T *v, int64_t n, int kind, double limit) {
  // The block test may only flag too much (then the exact loop below looks further), never too little: limit
  // as T must not exceed limit (a float limit above 2²⁴ could round up: no block test then).
  const T typedLimit = static_cast<T>(std::min(limit, 2147483647.0));
  const bool blocks = kind != 3 || static_cast<double>(typedLimit) <= limit;
  int64_t start = 0;
  while (blocks && start < n && !anyBreaks(v + start, std::min(kBlock, n - start), kind, typedLimit)) start += kBlock;
  for (int64_t i = start; i < n; i++) {
    const double x = static_cast<double>(v[i]);
    bool bad;
    if (kind == 0) bad = !std::isfinite(x);
    else if (kind == 1) bad = !(x >= 0 && x <= 1);
    else if (kind == 2) bad = !(x == 0 || x == 1);
    else bad = !(x >= 0 && x < limit && x == std::floor(x));
    if (bad) return i;
  }
  return -1;
}

}  // namespace

// scanValues(kind, values, limit): the flat index of the first value that breaks rule `kind`, or -1.
// values: a Float32Array or an Int32Array.
Napi::Value ScanValues(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 3) throw std::runtime_error("scanValues: expected kind, values, limit");
    const int kind = info[0].As<Napi::Number>().Int32Value();
    if (kind < 0 || kind > 3) throw std::runtime_error("scanValues: unknown kind " + std::to_string(kind));
    const double limit = info[2].As<Napi::Number>().DoubleValue();
    if (!info[1].IsTypedArray()) throw std::runtime_error("scanValues: values must be a typed array");
    Napi::TypedArray a = info[1].As<Napi::TypedArray>();
    int64_t found;
    if (a.TypedArrayType() == napi_float32_array) {
      Napi::Float32Array f = a.As<Napi::Float32Array>();
      found = firstBreak(f.Data(), static_cast<int64_t>(f.ElementLength()), kind, limit);
    } else if (a.TypedArrayType() == napi_int32_array) {
      Napi::Int32Array f = a.As<Napi::Int32Array>();
      found = firstBreak(f.Data(), static_cast<int64_t>(f.ElementLength()), kind, limit);
    } else {
      throw std::runtime_error("scanValues: values must be a Float32Array or an Int32Array");
    }
    return Napi::Number::New(env, static_cast<double>(found));
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("gendice native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace gendice
