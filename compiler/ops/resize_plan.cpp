// Tap tables for Resize. The ONNX reference interpolates each dim in turn with 1-D coefficients on
// neighbours taken from an edge-padded copy of the data; clamping the neighbour indices and adding up
// the coefficients that land on the same element gives the same sums with at most `taps` consecutive
// elements per output, which is what the kernel reads.
#include "ops/resize_plan.h"

#include <algorithm>
#include <cmath>

namespace kiln {

bool AxisTaps::identity(int64_t in) const {
    if (taps != 1 || int64_t(first.size()) != in) return false;
    for (std::size_t o = 0; o < first.size(); ++o)
        if (first[o] != int32_t(o)) return false;
    return true;
}

namespace {

double coordinate(const ResizeMethod& m, const ResizeAxis& a, int64_t o) {
    const double x = double(o), in = double(a.in);
    switch (m.coord) {
    case ResizeCoord::HalfPixel: return (x + 0.5) / a.scale - 0.5;
    case ResizeCoord::Asymmetric: return x / a.scale;
    // The spec gives 0 for a resized length of 1 (ONNX Runtime too; the 1.12 reference uses -0.5, which
    // picks the same element for nearest and linear).
    case ResizeCoord::PytorchHalfPixel: return a.resized > 1 ? (x + 0.5) / a.scale - 0.5 : 0.0;
    case ResizeCoord::TfHalfPixelForNN: return (x + 0.5) / a.scale;
    case ResizeCoord::AlignCorners: return a.resized == 1 ? 0.0 : x * (in - 1) / (a.resized - 1);
    case ResizeCoord::TfCropAndResize:
        if (a.resized > 1) return a.roi_start * (in - 1) + x * (a.roi_end - a.roi_start) * (in - 1) / (a.resized - 1);
        return 0.5 * (a.roi_start + a.roi_end) * (in - 1);
    }
    return 0.0;
}

}  // namespace

// A coordinate computed from a float32 scale carries its rounding error (3 / 0.6f = 4.9999998). Within
// that error of a multiple of 1/2 it is taken as that multiple, as the exact scale (and ONNX Runtime's
// float arithmetic) gives it; otherwise nearest's floor, ceil and tie rules would flip on noise.
double resize_source_coordinate(const ResizeMethod& m, const ResizeAxis& a, int64_t o) {
    const double x = coordinate(m, a, o);
    const double half = std::round(2 * x) / 2;
    return std::fabs(x - half) <= 1e-6 * std::max(1.0, std::fabs(x)) ? half : x;
}

namespace {

int64_t clamp_index(int64_t i, int64_t in) { return std::min(std::max(i, int64_t(0)), in - 1); }

// The cubic convolution coefficients of the taps floor(x) - 1 .. floor(x) + 2 for ratio r = x - floor(x).
void cubic_coeffs(double r, double a, double* c) {
    const double s = 1.0 - r;
    c[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
    c[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
    c[2] = ((a + 2) * s - (a + 3)) * s * s + 1;
    c[3] = ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a;
}

// When every output takes one element with weight 1 (integer scales with some modes, unchanged dims),
// the dim is a gather.
void reduce_to_gather(AxisTaps* t) {
    if (t->taps == 1) return;
    std::vector<int32_t> first(t->first.size());
    for (std::size_t o = 0; o < t->first.size(); ++o) {
        first[o] = t->first[o];
        if (first[o] < 0) continue;
        int nonzero = 0;
        for (int32_t k = 0; k < t->taps; ++k) {
            const float w = t->weight[o * std::size_t(t->taps) + std::size_t(k)];
            if (w == 0.0f) continue;
            if (w != 1.0f || ++nonzero > 1) return;
            first[o] = t->first[o] + k;
        }
        if (nonzero == 0) return;
    }
    t->taps = 1;
    t->first = first;
    t->weight.assign(first.size(), 1.0f);
}

}  // namespace

int64_t resize_nearest_index(const ResizeMethod& m, const ResizeAxis& a, double x) {
    const double f = std::floor(x);
    double i = f;
    if (m.rounding == ResizeRounding::Simple) {
        i = a.scale < 1 ? std::ceil(x) : f;
    } else if (x != f) {
        const double r = x - f;
        switch (m.rounding) {
        case ResizeRounding::RoundPreferFloor: i = r <= 0.5 ? f : f + 1; break;
        case ResizeRounding::RoundPreferCeil: i = r < 0.5 ? f : f + 1; break;
        case ResizeRounding::Floor: i = f; break;
        case ResizeRounding::Ceil:
        case ResizeRounding::Simple: i = f + 1; break;
        }
    }
    return clamp_index(int64_t(i), a.in);
}

AxisTaps resize_axis_taps(const ResizeMethod& m, const ResizeAxis& a) {
    const int kernel = m.mode == ResizeMode::Nearest ? 1 : m.mode == ResizeMode::Linear ? 2 : 4;
    const int64_t width = std::min<int64_t>(kernel, a.in);
    AxisTaps t;
    // A dim of scale 1 is left alone, as ONNX Runtime does: every mode but tf_half_pixel_for_nn maps it
    // onto itself anyway, and that one would shift it by half an element (a crop box may move it).
    if (a.scale == 1 && a.out == a.in && m.coord != ResizeCoord::TfCropAndResize) {
        for (int64_t o = 0; o < a.out; ++o) t.first.push_back(int32_t(o));
        t.weight.assign(t.first.size(), 1.0f);
        return t;
    }
    t.taps = int32_t(width);
    for (int64_t o = 0; o < a.out; ++o) {
        const double x = resize_source_coordinate(m, a, o);
        if (m.coord == ResizeCoord::TfCropAndResize && (x < 0 || x > double(a.in - 1))) {
            t.first.push_back(-1);
            t.weight.insert(t.weight.end(), std::size_t(width), 0.0f);
            continue;
        }
        if (kernel == 1) {
            t.first.push_back(int32_t(resize_nearest_index(m, a, x)));
            t.weight.push_back(1.0f);
            continue;
        }
        const double f = std::floor(x), r = x - f;
        const int64_t lo = int64_t(f) - (kernel == 4 ? 1 : 0);  // first tap before clamping
        double c[4] = {1 - r, r, 0, 0};
        if (kernel == 4) cubic_coeffs(r, m.cubic_a, c);
        if (m.exclude_outside) {
            double sum = 0;
            for (int k = 0; k < kernel; ++k) {
                if (lo + k < 0 || lo + k >= a.in) c[k] = 0;
                sum += c[k];
            }
            if (sum != 0)
                for (int k = 0; k < kernel; ++k) c[k] /= sum;
        }
        // Clamped taps all lie in a window of `width` elements that stays inside the dim.
        const int64_t base = std::min(clamp_index(lo, a.in), a.in - width);
        double w[4] = {0, 0, 0, 0};
        for (int k = 0; k < kernel; ++k) w[clamp_index(lo + k, a.in) - base] += c[k];
        t.first.push_back(int32_t(base));
        for (int64_t k = 0; k < width; ++k) t.weight.push_back(float(w[k]));
    }
    reduce_to_gather(&t);
    return t;
}

ResizePlan plan_resize(const ResizeMethod& m, const std::vector<ResizeAxis>& axes, double extrapolation) {
    std::vector<AxisTaps> tabs;
    for (const ResizeAxis& a : axes) tabs.push_back(resize_axis_taps(m, a));
    ResizePlan plan;
    kernels::ResizeParams& p = plan.params;
    std::size_t lead = 0;
    p.outer = 1;
    while (lead + 1 < axes.size() && tabs[lead].identity(axes[lead].in)) p.outer *= axes[lead++].in;
    p.rank = int32_t(axes.size() - lead);
    for (std::size_t d = lead; d < axes.size(); ++d) plan.gather = plan.gather && tabs[d].taps == 1;
    for (std::size_t d = lead; d < axes.size(); ++d) {
        const std::size_t k = d - lead;
        const AxisTaps& t = tabs[d];
        p.in[k] = axes[d].in;
        p.out[k] = axes[d].out;
        p.taps[k] = t.taps;
        p.first_at[k] = int64_t(plan.first.size());
        p.weight_at[k] = plan.gather ? 0 : int64_t(plan.weight.size());
        plan.first.insert(plan.first.end(), t.first.begin(), t.first.end());
        if (!plan.gather) plan.weight.insert(plan.weight.end(), t.weight.begin(), t.weight.end());
    }
    p.extrapolate = std::any_of(plan.first.begin(), plan.first.end(), [](int32_t f) { return f < 0; }) ? 1 : 0;
    p.extrapolation = extrapolation;
    return plan;
}

}  // namespace kiln
