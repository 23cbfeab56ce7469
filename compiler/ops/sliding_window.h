// Sliding-window attributes shared by Conv and the pooling ops: kernel_shape, strides, dilations, pads,
// auto_pad and ceil_mode turned into output sizes and paddings, and into the kernels' Window struct.
#pragma once

#include <string>
#include <vector>

#include "backends/portable/kernels/window.h"
#include "ops/op_context.h"

namespace kiln {

struct WindowGeometry {
    std::vector<int64_t> in, out, kernel, strides, dilations, pad_begin, pad_end;
    int rank() const { return int(in.size()); }
};

// Reads strides, dilations, pads and auto_pad for a window of `kernel` sliding over the spatial dims
// of x (N x C x spatial...) and computes the output sizes; floor division unless ceil_mode.
Status forward_window(NodeCtx& c, const Shape& x, const std::vector<int64_t>& kernel, bool ceil_mode,
                      WindowGeometry* g);

// Reads an ints attribute of one value per spatial dim (strides, dilations...), 1 each when absent.
Status per_dim_attr(NodeCtx& c, const char* name, int rank, int64_t min_value, std::vector<int64_t>* out);

// Reads auto_pad; "NOTSET", "SAME_UPPER", "SAME_LOWER" or "VALID".
Status read_auto_pad(NodeCtx& c, std::string* mode);

// The geometry with 1-D and 2-D windows padded to 3-D by leading size-1 dims.
kernels::Window to_kernel_window(const WindowGeometry& g);
// C initializer of a Window for generated code.
std::string c_window(const kernels::Window& w);

}  // namespace kiln
