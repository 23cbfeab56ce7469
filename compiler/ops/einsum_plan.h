// Einsum at compile time: parsing and checking the equation, then planning the loop nest the kernel
// (backends/portable/kernels/einsum.h) runs: one loop per distinct label, with the stride of every
// input and of the output along it, outermost first.
#pragma once

#include <string>
#include <vector>

#include "diag/status.h"
#include "ir/tensor.h"

namespace kiln {

// One term of an equation. Labels are 0..25 for 'A'..'Z' and 26..51 for 'a'..'z' (so sorting them sorts
// as numpy does); `ellipsis` is the index in `labels` where "..." stands, or -1.
struct EinsumTerm {
    std::vector<int> labels;
    int ellipsis = -1;
};

struct EinsumEquation {
    std::vector<EinsumTerm> inputs;
    EinsumTerm output;
    bool explicit_output = false;  // "->" given; otherwise numpy's implicit output
};

// Spaces are ignored. Errors name the equation and what is wrong at which character.
Expected<EinsumEquation> parse_einsum(const std::string& equation);

struct EinsumPlan {
    Shape out_shape;
    std::vector<int64_t> sizes;                    // per loop
    std::vector<int64_t> out_strides;              // per loop, 0 for a summed label
    std::vector<std::vector<int64_t>> in_strides;  // [input][loop], 0 where the input does not vary
    // Loops [split, loops) are summed in a register for each position of the outer ones; split == loops:
    // the innermost loop runs over the output instead (y[...] += products, matmul-like).
    int split = 0;
};

// Checks the equation against the input shapes (label sizes agree, or are 1 and broadcast, like numpy) and
// plans the loops. Labels of size 1 get no loop. `accumulate` allows the matmul-like order in which
// the output is added to more than once; without it every output element is summed in one register and
// stored once (what 16-bit floats need to round only once).
Expected<EinsumPlan> plan_einsum(const std::string& equation, const std::vector<Shape>& inputs, bool accumulate);

}  // namespace kiln
