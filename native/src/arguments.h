// Reading the arguments JS passes to the addon's functions; each throws std::runtime_error naming the argument.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gendice {

// An array of integers (dims, strides, geometry); these are also oneDNN's memory::dims.
std::vector<int64_t> readInts(const Napi::Value &v, const char *what);

// A Float32Array of any length.
Napi::Float32Array f32(const Napi::Value &v, const char *what);

// The data of a Float32Array that must hold exactly `expected` floats.
float *floatData(const Napi::Value &v, size_t expected, const char *what);

// The number of elements of a tensor of dims `d`.
size_t product(const std::vector<int64_t> &d);

}  // namespace gendice
