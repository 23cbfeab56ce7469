// Comparing computed tensors with expected ones: |got - want| <= atol + rtol * |want|, elementwise;
// integers and booleans exactly; NaN matches NaN and infinities match themselves.
#pragma once

#include <string>

#include "ir/tensor.h"

namespace kiln {

struct Comparison {
    bool match = false;
    double max_abs_error = 0;  // over all elements (0 for exact types that match)
    int64_t mismatches = 0;
    int64_t worst_index = -1;
    std::string problem;  // dtype/shape disagreement, when there is one
};

Comparison compare_tensors(const Tensor& got, const Tensor& want, double rtol, double atol);

}  // namespace kiln
