// Resize's tap tables: for every output index along one dim, the input indices and weights that the
// ONNX definition of nearest, linear and cubic interpolation uses, computed in double when compiling
// (as the ONNX reference implementation does), and the kernel parameters that tie the dims together.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/portable/kernels/resize.h"

namespace kiln {

enum class ResizeMode { Nearest, Linear, Cubic };
enum class ResizeCoord { HalfPixel, Asymmetric, PytorchHalfPixel, TfHalfPixelForNN, AlignCorners, TfCropAndResize };
// Simple is the rounding of Upsample and Resize-10: floor when upsampling a dim, ceil when downsampling it.
enum class ResizeRounding { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Simple };

struct ResizeMethod {
    ResizeMode mode = ResizeMode::Nearest;
    ResizeCoord coord = ResizeCoord::HalfPixel;
    ResizeRounding rounding = ResizeRounding::RoundPreferFloor;
    double cubic_a = -0.75;
    bool exclude_outside = false;
};

// One dim of the request.
struct ResizeAxis {
    int64_t in = 1, out = 1;
    double scale = 1.0;    // what the coordinate transformation divides by
    double resized = 1.0;  // length_resized: in * scale, or exactly `out` when sizes were given
    double roi_start = 0.0, roi_end = 1.0;
};

// The taps of one dim: `taps` consecutive input indices from first[o] (-1: outside the crop box) with
// weights weight[o * taps + k].
struct AxisTaps {
    int32_t taps = 1;
    std::vector<int32_t> first;
    std::vector<float> weight;
    bool identity(int64_t in) const;
};

// x_original for output index o (the coordinate_transformation_mode formulas).
double resize_source_coordinate(const ResizeMethod& m, const ResizeAxis& a, int64_t o);
// The input index nearest mode picks for x_original, clamped to the dim.
int64_t resize_nearest_index(const ResizeMethod& m, const ResizeAxis& a, double x);
// Requires a.in >= 1.
AxisTaps resize_axis_taps(const ResizeMethod& m, const ResizeAxis& a);

struct ResizePlan {
    kernels::ResizeParams params{};
    std::vector<int32_t> first;
    std::vector<float> weight;  // empty for a gather
    bool gather = true;         // every dim takes one input element: resize_nearest, exact for any type
};

// Leading dims the resize leaves unchanged become planes. Requires 1 <= axes.size(), every in >= 1,
// and at most kernels::kMaxRank dims.
ResizePlan plan_resize(const ResizeMethod& m, const std::vector<ResizeAxis>& axes, double extrapolation);

}  // namespace kiln
