// Building the parameters of kernels::strided_copy (backends/portable/kernels/layout.h), which moves one
// affine view of a tensor into another, and running or emitting it. Used by every layout op whose output
// is such a view of its input (Transpose, Slice, Expand, Tile, Concat, Split, DepthToSpace...).
#pragma once

#include <string>
#include <vector>

#include "backends/portable/kernels/layout.h"
#include "diag/status.h"
#include "ir/tensor.h"

namespace kiln {

class EvalCtx;
class EmitCtx;
class NodeCtx;

// Row-major element strides of a shape.
std::vector<int64_t> contiguous_strides(const Shape& s);

// One copy of all indices below `dims`, reading at src_offset + i.src_strides and writing at
// dst_offset + i.dst_strides.
struct StridedCopy {
    Shape dims;
    std::vector<int64_t> src_strides, dst_strides;
    int64_t src_offset = 0, dst_offset = 0;
};

// Kernel parameters with size-1 dims dropped and dims contiguous in both src and dst merged; fails when
// more than kMaxRank dims remain.
Status make_strided_copy_params(NodeCtx& c, const StridedCopy& s, kernels::StridedCopyParams* out);

// Runs the kernel on host tensors (any dtype).
Status eval_strided_copy(EvalCtx& c, const Tensor& src, Tensor& dst, const StridedCopy& s);
// Writes the kernel call from src_expr into dst_expr (pointer expressions of the node's buffers).
Status emit_strided_copy(EmitCtx& c, const std::string& src_expr, const std::string& dst_expr, const StridedCopy& s,
                         const std::string& suffix = "p");

}  // namespace kiln
