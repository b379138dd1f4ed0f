#include "arguments.h"

#include <stdexcept>
#include <string>

namespace gendice {

std::vector<int64_t> readInts(const Napi::Value &v, const char *what) {
  if (!v.IsArray()) throw std::runtime_error(std::string("expected an array for ") + what);
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

Napi::Float32Array f32(const Napi::Value &v, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw std::runtime_error(std::string("expected a Float32Array for ") + what);
  return v.As<Napi::Float32Array>();
}

float *floatData(const Napi::Value &v, size_t expected, const char *what) {
  Napi::Float32Array a = f32(v, what);
  if (a.ElementLength() != expected)
    throw std::runtime_error(std::string("wrong length for ") + what + ": got " +
                             std::to_string(a.ElementLength()) + ", expected " + std::to_string(expected));
  return a.Data();
}

size_t product(const std::vector<int64_t> &d) {
  size_t n = 1;
  for (auto x : d) n *= static_cast<size_t>(x);
  return n;
}

}  // namespace gendice
