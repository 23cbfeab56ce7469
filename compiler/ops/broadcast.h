// Numpy-style broadcasting for shape inference, and the kernel parameters that implement it.
#pragma once

#include <string>
#include <vector>

#include "backends/portable/kernels/common.h"
#include "diag/status.h"
#include "ir/tensor.h"

namespace kiln {

// The broadcast result of several shapes, or false when they are incompatible.
bool broadcast_shapes(const std::vector<Shape>& shapes, Shape* out);

// Strides for up to three inputs broadcast to `out`, with runs of dims that broadcast alike merged.
kernels::BroadcastParams make_broadcast_params(const Shape& out, const std::vector<Shape>& inputs);

// C initializer of a BroadcastParams for generated code.
std::string c_broadcast_params(const kernels::BroadcastParams& p);

}  // namespace kiln
