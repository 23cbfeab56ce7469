// Reading inputs that decide output shapes (Reshape's shape, Slice's starts, Tile's repeats...). Shapes
// are static in Kiln, so such inputs must be compile-time constants; the error says so and names them.
#pragma once

#include <vector>

#include "ops/op_context.h"

namespace kiln {

// The values of constant integer input i; `what` names its role in the error ("target shape").
Status static_ints(NodeCtx& c, std::size_t i, const char* what, std::vector<int64_t>* out);
// The single value of constant scalar (or 1-element) input i, converted to double.
Status static_scalar(NodeCtx& c, std::size_t i, const char* what, double* out);

}  // namespace kiln
