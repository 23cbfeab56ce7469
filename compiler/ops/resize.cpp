// Resize (opsets 10, 11, 13) and its deprecated form Upsample (opsets 7, 9): the node's attributes and
// constant scales/sizes/roi become per-dim tap tables (ops/resize_plan.h) that the generated code holds
// as constant arrays. Kernels: portable/resize.h.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/resize_plan.h"

namespace kiln {
namespace {

struct ResizeRequest {
    ResizeMethod method;
    std::vector<ResizeAxis> axes;
    double extrapolation = 0.0;
};

// The values of input i (scales, sizes or roi), which must be a constant; `present` is false when it is absent or
// empty (Resize-11 passes an empty tensor for the one of scales and sizes it does not use).
Status constant_values(NodeCtx& c, std::size_t i, const char* what, std::vector<double>* values, bool* present) {
    *present = false;
    values->clear();
    if (!c.has_input(i)) return Status::ok();
    const Tensor* t = c.const_input(i);
    if (!t)
        return c.fail("input {} ('{}', the {}) must be a compile-time constant: Kiln fixes shapes and tables when "
                      "compiling", i, c.input(i).name, what);
    for (int64_t k = 0; k < t->numel(); ++k) values->push_back(t->as_double(k));
    *present = !values->empty();
    return Status::ok();
}

Status read_mode(NodeCtx& c, bool cubic_allowed, ResizeMode* mode) {
    const std::string s = c.attr_string("mode", "nearest");
    KILN_TRY(c.status());
    if (s == "nearest") *mode = ResizeMode::Nearest;
    else if (s == "linear") *mode = ResizeMode::Linear;
    else if (s == "cubic" && cubic_allowed) *mode = ResizeMode::Cubic;
    else return c.fail("attribute mode='{}' is not supported", s);
    return Status::ok();
}

// The attributes of Resize-11 and later.
Status read_method(NodeCtx& c, ResizeRequest* r) {
    ResizeMethod& m = r->method;
    KILN_TRY(read_mode(c, true, &m.mode));
    const std::string coord = c.attr_string("coordinate_transformation_mode", "half_pixel");
    const std::string nearest = c.attr_string("nearest_mode", "round_prefer_floor");
    m.cubic_a = double(c.attr_float("cubic_coeff_a", -0.75f));
    const int64_t exclude = c.attr_int("exclude_outside", 0);
    r->extrapolation = double(c.attr_float("extrapolation_value", 0.0f));
    KILN_TRY(c.status());
    static const std::pair<const char*, ResizeCoord> coords[] = {
        {"half_pixel", ResizeCoord::HalfPixel},
        {"asymmetric", ResizeCoord::Asymmetric},
        {"pytorch_half_pixel", ResizeCoord::PytorchHalfPixel},
        {"tf_half_pixel_for_nn", ResizeCoord::TfHalfPixelForNN},
        {"align_corners", ResizeCoord::AlignCorners},
        {"tf_crop_and_resize", ResizeCoord::TfCropAndResize}};
    static const std::pair<const char*, ResizeRounding> roundings[] = {
        {"round_prefer_floor", ResizeRounding::RoundPreferFloor},
        {"round_prefer_ceil", ResizeRounding::RoundPreferCeil},
        {"floor", ResizeRounding::Floor},
        {"ceil", ResizeRounding::Ceil}};
    bool found = false;
    for (const auto& kv : coords)
        if (coord == kv.first) m.coord = kv.second, found = true;
    if (!found) return c.fail("attribute coordinate_transformation_mode='{}' is not supported", coord);
    found = false;
    for (const auto& kv : roundings)
        if (nearest == kv.first) m.rounding = kv.second, found = true;
    if (!found) return c.fail("attribute nearest_mode='{}' is not supported", nearest);
    if (exclude != 0 && exclude != 1) return c.fail("attribute exclude_outside={} is not 0 or 1", exclude);
    m.exclude_outside = exclude == 1;
    return Status::ok();
}

// Output sizes and per-dim coordinate scales from scales or sizes (exactly one of them given), and the
// tf_crop_and_resize box from roi (empty otherwise).
Status read_axes(NodeCtx& c, const std::vector<double>& scales, const std::vector<double>& sizes,
                 const std::vector<double>& roi, bool upsample, ResizeRequest* r) {
    const Shape& x = c.in_shape(0);
    const std::size_t rank = x.size();
    if (scales.empty() == sizes.empty())
        return c.fail(scales.empty() ? "one of scales and sizes is required" : "scales and sizes are both given");
    const std::vector<double>& given = scales.empty() ? sizes : scales;
    if (given.size() != rank)
        return c.fail("{} has {} values for an input of rank {}", scales.empty() ? "sizes" : "scales", given.size(),
                      rank);
    if (rank == 0 || rank > std::size_t(kernels::kMaxRank))
        return c.fail("input of shape {} is not supported (rank 1 to {})", shape_str(x), kernels::kMaxRank);
    if (!roi.empty() && roi.size() != 2 * rank)
        return c.fail("roi has {} values, expected {}", roi.size(), 2 * rank);
    const double limit = double(std::numeric_limits<int32_t>::max());
    r->axes.assign(rank, ResizeAxis());
    for (std::size_t d = 0; d < rank; ++d) {
        ResizeAxis& a = r->axes[d];
        a.in = x[d];
        if (a.in > std::numeric_limits<int32_t>::max()) return c.fail("dim {} of size {} is too large", d, a.in);
        if (!roi.empty()) {
            a.roi_start = roi[d];
            a.roi_end = roi[d + rank];
        }
        if (!scales.empty()) {
            a.scale = scales[d];
            if (!(a.scale > 0) || !std::isfinite(a.scale) || (upsample && a.scale < 1))
                return c.fail("scale {} of dim {} is not {}", a.scale, d, upsample ? ">= 1" : "positive");
            // The spec's prose multiplies by the roi box's extent, but ONNX's own shape inference, its
            // reference implementation and ONNX Runtime all take floor(input * scale), in float.
            a.resized = double(a.in) * a.scale;
            if (!(a.resized < limit)) return c.fail("scale {} of dim {} gives too large an output", a.scale, d);
            a.out = int64_t(std::floor(float(a.in) * float(a.scale)));
        } else {
            if (!(sizes[d] >= 0) || sizes[d] > limit) return c.fail("size {} of dim {} is not valid", sizes[d], d);
            a.out = int64_t(sizes[d]);
            a.scale = a.in > 0 ? double(a.out) / double(a.in) : 1.0;
            a.resized = double(a.out);
        }
        if (a.in == 0 && a.out != 0) return c.fail("dim {} of size 0 cannot be resized to {}", d, a.out);
    }
    return Status::ok();
}

// Every attribute and constant input the node's op and opset define.
Status read_request(NodeCtx& c, bool upsample, ResizeRequest* r) {
    ResizeMethod& m = r->method;
    std::vector<double> scales, sizes, roi;
    bool present = false;
    if (upsample || c.opset() < 11) {
        // Upsample and Resize-10: asymmetric coordinates; nearest rounds down (up when downsampling).
        if (upsample && c.opset() < 7) return c.fail("Upsample before opset 7 is not supported");
        KILN_TRY(read_mode(c, false, &m.mode));
        m.coord = ResizeCoord::Asymmetric;
        m.rounding = ResizeRounding::Simple;
        if (upsample && c.opset() < 9) {
            if (!c.has_attr("scales")) return c.fail("attribute 'scales' is required");
            std::vector<float> s = c.attr_floats("scales");
            KILN_TRY(c.status());
            scales.assign(s.begin(), s.end());
        } else {
            KILN_TRY(constant_values(c, 1, "scales", &scales, &present));
            if (!present) return c.fail("input 1 (scales) is required");
        }
        return read_axes(c, scales, sizes, roi, upsample, r);
    }
    KILN_TRY(read_method(c, r));
    KILN_TRY(constant_values(c, 2, "scales", &scales, &present));
    KILN_TRY(constant_values(c, 3, "sizes", &sizes, &present));
    // roi only counts for tf_crop_and_resize; other modes ignore it, even when it is a run-time input.
    if (m.coord == ResizeCoord::TfCropAndResize) {
        KILN_TRY(constant_values(c, 1, "roi", &roi, &present));
        if (!present) return c.fail("input 1 (roi) is required by coordinate_transformation_mode=tf_crop_and_resize");
    }
    return read_axes(c, scales, sizes, roi, false, r);
}

struct Plan {
    ResizePlan resize;
    Shape out;
    Tensor fill;  // extrapolation_value in the element type, for the gather kernel
};

Status make_plan(NodeCtx& c, bool upsample, Plan* plan) {
    ResizeRequest r;
    KILN_TRY(read_request(c, upsample, &r));
    const DType t = c.in_dtype(0);
    for (const ResizeAxis& a : r.axes) plan->out.push_back(a.out);
    if (shape_numel(plan->out) == 0) return Status::ok();  // nothing to compute
    plan->resize = plan_resize(r.method, r.axes, r.extrapolation);
    if (!plan->resize.gather && t != DType::Float32 && t != DType::Float64)
        return c.fail("{} interpolation of type {} is not supported (f32 and f64; nearest takes any type)",
                      r.method.mode == ResizeMode::Linear ? "linear" : "cubic", dtype_name(t));
    plan->fill = Tensor(t, {});
    plan->fill.set_from_double(0, r.extrapolation);
    return Status::ok();
}

template <bool Upsample>
Status infer_resize(InferCtx& c) {
    if (Upsample) KILN_TRY(c.require_inputs(1, c.opset() < 9 ? 1 : 2));
    else KILN_TRY(c.require_inputs(c.opset() < 11 ? 2 : (c.opset() < 13 ? 3 : 1), c.opset() < 11 ? 2 : 4));
    Plan plan;
    KILN_TRY(make_plan(c, Upsample, &plan));
    c.set_output(0, c.in_dtype(0), plan.out);
    return c.status();
}

template <bool Upsample>
Status eval_resize(EvalCtx& c) {
    Plan plan;
    KILN_TRY(make_plan(c, Upsample, &plan));
    if (shape_numel(plan.out) == 0) return Status::ok();
    const ResizePlan& r = plan.resize;
    const Tensor& x = c.in(0);
    Tensor& y = c.out(0);
    bool ok = false;
    if (r.gather) {
        ok = dispatch_any(x.dtype(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            kernels::resize_nearest(x.data<T>(), y.data<T>(), r.params, r.first.data(), plan.fill.data<T>());
        });
    } else {
        ok = dispatch_float(x.dtype(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            kernels::resize_interpolate(x.data<T>(), y.data<T>(), r.params, r.first.data(), r.weight.data());
        });
    }
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(x.dtype()));
}

// "{{a, b, ...}}" for an IndexTable/WeightTable, a few values per line.
template <typename V, typename F>
std::string c_table(const std::vector<V>& v, std::size_t per_line, F literal) {
    std::string s = "{{";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) s += i % per_line == 0 ? ",\n    " : ", ";
        s += literal(v[i]);
    }
    return s + "}}";
}

std::string c_resize_params(const kernels::ResizeParams& p) {
    auto list = [&](const auto* v) {
        std::vector<int64_t> x(v, v + p.rank);
        return fmt::format("{{{}}}", fmt::join(x, ", "));
    };
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}}}", p.outer, p.rank, p.extrapolate, list(p.in),
                       list(p.out), list(p.taps), list(p.first_at), list(p.weight_at), c_double(p.extrapolation));
}

template <bool Upsample>
Status emit_resize(EmitCtx& c) {
    Plan plan;
    KILN_TRY(make_plan(c, Upsample, &plan));
    if (shape_numel(plan.out) == 0) return Status::ok();  // empty tensors have no buffer
    const ResizePlan& r = plan.resize;
    c.use_kernel("portable/resize.h");
    const std::string p = c.define_params("k::ResizeParams", c_resize_params(r.params));
    const std::string first =
        c.define_params(fmt::format("k::IndexTable<{}>", r.first.size()),
                        c_table(r.first, 16, [](int32_t v) { return fmt::format("{}", v); }), "first");
    if (r.gather) {
        std::string fill = fmt::format("static_cast<const {}*>(nullptr)", c.in_ctype(0));
        if (r.params.extrapolate) fill = "&" + c.define_params(c.in_ctype(0), c_element(plan.fill, 0), "fill");
        c.call("k::resize_nearest({}, {}, {}, {}.v, {});", c.in(0), c.out(0), p, first, fill);
    } else {
        const std::string weight = c.define_params(fmt::format("k::WeightTable<{}>", r.weight.size()),
                                                   c_table(r.weight, 8, [](float v) { return c_float(v); }), "weight");
        c.call("k::resize_interpolate({}, {}, {}, {}.v, {}.v);", c.in(0), c.out(0), p, first, weight);
    }
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Resize, infer_resize<false>, eval_resize<false>, emit_resize<false>)
KILN_DEFINE_OP(Upsample, infer_resize<true>, eval_resize<true>, emit_resize<true>)
