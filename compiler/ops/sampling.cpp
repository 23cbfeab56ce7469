// Sampling at coordinates that arrive at run time: GridSample (opset 16, 4-D) and RoiAlign (opsets 10
// and 16). Only the geometry is fixed when compiling; the kernels compute the taps per output.
// Kernels: portable/sampling.h.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/sampling.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

bool is_float(DType t) { return t == DType::Float32 || t == DType::Float64; }

// Index of `value` in `names`, or -1.
template <std::size_t N>
int pick(const std::string& value, const char* const (&names)[N]) {
    for (std::size_t i = 0; i < N; ++i)
        if (value == names[i]) return int(i);
    return -1;
}

// ---- GridSample ----------------------------------------------------------------------------------

Status grid_sample_params(NodeCtx& c, kernels::GridSampleParams* p) {
    static const char* const modes[] = {"bilinear", "nearest", "bicubic"};
    static const char* const paddings[] = {"zeros", "border", "reflection"};
    const std::string mode = c.attr_string("mode", "bilinear");
    const std::string padding = c.attr_string("padding_mode", "zeros");
    const int64_t align = c.attr_int("align_corners", 0);
    KILN_TRY(c.status());
    p->mode = pick(mode, modes);
    p->padding = pick(padding, paddings);
    if (p->mode < 0) return c.fail("attribute mode='{}' is not supported", mode);
    if (p->padding < 0) return c.fail("attribute padding_mode='{}' is not supported", padding);
    if (align != 0 && align != 1) return c.fail("attribute align_corners={} is not 0 or 1", align);
    p->align_corners = int32_t(align);
    if (!is_float(c.in_dtype(0)))
        return c.fail("input X has type {}, which is not supported", dtype_name(c.in_dtype(0)));
    if (!is_float(c.in_dtype(1))) return c.fail("grid has type {}, expected f32 or f64", dtype_name(c.in_dtype(1)));
    const Shape& x = c.in_shape(0);
    const Shape& g = c.in_shape(1);
    if (x.size() != 4) return c.fail("input X of shape {} is not supported (N x C x H x W only)", shape_str(x));
    if (g.size() != 4 || g[0] != x[0] || g[3] != 2)
        return c.fail("grid of shape {} does not match X {} (expected N x H_out x W_out x 2)", shape_str(g),
                      shape_str(x));
    *p = kernels::GridSampleParams{x[0], x[1], x[2], x[3], g[1], g[2], p->mode, p->padding, p->align_corners};
    return Status::ok();
}

Status infer_grid_sample(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    kernels::GridSampleParams p{};
    KILN_TRY(grid_sample_params(c, &p));
    c.set_output(0, c.in_dtype(0), {p.n, p.c, p.out_h, p.out_w});
    return c.status();
}

Status eval_grid_sample(EvalCtx& c) {
    kernels::GridSampleParams p{};
    KILN_TRY(grid_sample_params(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tx) {
        using T = typename decltype(tx)::type;
        dispatch_float(c.in(1).dtype(), [&](auto tg) {
            using G = typename decltype(tg)::type;
            kernels::grid_sample(c.in(0).data<T>(), c.in(1).data<G>(), c.out(0).data<T>(), p);
        });
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_grid_sample(EmitCtx& c) {
    kernels::GridSampleParams p{};
    KILN_TRY(grid_sample_params(c, &p));
    if (c.output(0).numel() == 0) return Status::ok();  // empty tensors have no buffer
    c.use_kernel("portable/sampling.h");
    std::string name = c.define_params("k::GridSampleParams",
                                       fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}}}", p.n, p.c, p.in_h, p.in_w,
                                                   p.out_h, p.out_w, p.mode, p.padding, p.align_corners));
    c.call("k::grid_sample({}, {}, {}, {});", c.in(0), c.in(1), c.out(0), name);
    return Status::ok();
}

// ---- RoiAlign ------------------------------------------------------------------------------------

Status roi_align_params(NodeCtx& c, kernels::RoiAlignParams* p) {
    static const char* const modes[] = {"avg", "max"};
    static const char* const coords[] = {"output_half_pixel", "half_pixel"};
    const std::string mode = c.attr_string("mode", "avg");
    // Opset 16 added coordinate_transformation_mode with half_pixel as default; before, it was output_half_pixel.
    const std::string coord =
        c.opset() >= 16 ? c.attr_string("coordinate_transformation_mode", "half_pixel") : "output_half_pixel";
    const int64_t out_h = c.attr_int("output_height", 1), out_w = c.attr_int("output_width", 1);
    const int64_t ratio = c.attr_int("sampling_ratio", 0);
    const float scale = c.attr_float("spatial_scale", 1.0f);
    KILN_TRY(c.status());
    const int max_mode = pick(mode, modes), half_pixel = pick(coord, coords);
    if (max_mode < 0) return c.fail("attribute mode='{}' is not supported", mode);
    if (half_pixel < 0) return c.fail("attribute coordinate_transformation_mode='{}' is not supported", coord);
    if (out_h < 1 || out_w < 1) return c.fail("output size {}x{} is not positive", out_h, out_w);
    if (ratio < 0) return c.fail("attribute sampling_ratio={} is negative", ratio);
    const Shape& x = c.in_shape(0);
    const Shape& rois = c.in_shape(1);
    const Shape& batch = c.in_shape(2);
    if (!is_float(c.in_dtype(0)))
        return c.fail("input X has type {}, which is not supported", dtype_name(c.in_dtype(0)));
    if (c.in_dtype(1) != c.in_dtype(0))
        return c.fail("rois have type {}, X has {}", dtype_name(c.in_dtype(1)), dtype_name(c.in_dtype(0)));
    if (c.in_dtype(2) != DType::Int64)
        return c.fail("batch_indices have type {}, expected i64", dtype_name(c.in_dtype(2)));
    if (x.size() != 4) return c.fail("input X of shape {} is not N x C x H x W", shape_str(x));
    if (rois.size() != 2 || rois[1] != 4 || batch.size() != 1 || batch[0] != rois[0])
        return c.fail("rois of shape {} and batch_indices of shape {} are not R x 4 and R", shape_str(rois),
                      shape_str(batch));
    *p = kernels::RoiAlignParams{x[0], x[1], x[2], x[3], rois[0], out_h, out_w, ratio, int32_t(max_mode),
                                 int32_t(half_pixel), scale};
    return Status::ok();
}

Status infer_roi_align(InferCtx& c) {
    KILN_TRY(c.require_inputs(3, 3));
    kernels::RoiAlignParams p{};
    KILN_TRY(roi_align_params(c, &p));
    c.set_output(0, c.in_dtype(0), {p.rois, p.c, p.out_h, p.out_w});
    return c.status();
}

Status eval_roi_align(EvalCtx& c) {
    kernels::RoiAlignParams p{};
    KILN_TRY(roi_align_params(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tx) {
        using T = typename decltype(tx)::type;
        kernels::roi_align(c.in(0).data<T>(), c.in(1).data<T>(), c.in(2).data<int64_t>(), c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_roi_align(EmitCtx& c) {
    kernels::RoiAlignParams p{};
    KILN_TRY(roi_align_params(c, &p));
    if (c.output(0).numel() == 0) return Status::ok();  // empty tensors have no buffer
    c.use_kernel("portable/sampling.h");
    std::string name = c.define_params(
        "k::RoiAlignParams", fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}}", p.n, p.c, p.h, p.w, p.rois,
                                         p.out_h, p.out_w, p.sampling_ratio, p.max_mode, p.half_pixel,
                                         c_float(p.spatial_scale)));
    c.call("k::roi_align({}, {}, {}, {}, {});", c.in(0), c.in(1), c.in(2), c.out(0), name);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(GridSample, infer_grid_sample, eval_grid_sample, emit_grid_sample)
KILN_DEFINE_OP(RoiAlign, infer_roi_align, eval_roi_align, emit_roi_align)
