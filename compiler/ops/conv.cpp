// Convolutions: Conv and ConvTranspose over 1-D to 3-D inputs with groups (depthwise included),
// strides, dilations, explicit or automatic padding and an optional bias. Kernels: portable/conv.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/conv.h"
#include "ops/conv_plan.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/sliding_window.h"

namespace kiln {
namespace {

Status check_types(NodeCtx& c) {
    DType t = c.in_dtype(0);
    if (t != DType::Float32 && t != DType::Float64)
        return c.fail("input X has type {}; float and double are supported", dtype_name(t));
    for (std::size_t i = 1; i < c.num_inputs(); ++i)
        if (c.has_input(i) && c.in_dtype(i) != t)
            return c.fail("input {} has type {}, expected {} like X", i, dtype_name(c.in_dtype(i)), dtype_name(t));
    return Status::ok();
}

// kernel_shape when given (it must agree with W), otherwise W's dims after the first two.
Status kernel_dims(NodeCtx& c, const Shape& w, std::vector<int64_t>* k) {
    std::vector<int64_t> from_w(w.begin() + 2, w.end());
    *k = c.attr_ints("kernel_shape", from_w);
    KILN_TRY(c.status());
    if (*k != from_w)
        return c.fail("kernel_shape [{}] does not match weights of shape {}", fmt::join(*k, ","), shape_str(w));
    return Status::ok();
}

// Checks shared by Conv and ConvTranspose: ranks of X and W, and that group divides the channels.
Status check_operands(NodeCtx& c, int64_t* groups) {
    const Shape& x = c.in_shape(0);
    const Shape& w = c.in_shape(1);
    if (x.size() < 3) return c.fail("input X has shape {}, expected N x C x spatial dims", shape_str(x));
    if (w.size() != x.size())
        return c.fail("weights of shape {} do not match the rank of X ({})", shape_str(w), shape_str(x));
    *groups = c.attr_int("group", 1);
    KILN_TRY(c.status());
    if (*groups < 1 || x[1] % *groups != 0)
        return c.fail("group {} does not divide the {} input channels", *groups, x[1]);
    return Status::ok();
}

Status check_bias(NodeCtx& c, int64_t out_channels) {
    if (c.has_input(2) && c.in_shape(2) != Shape{out_channels})
        return c.fail("bias has shape {}, expected {}", shape_str(c.in_shape(2)), out_channels);
    return Status::ok();
}

std::string c_conv_params(const kernels::ConvParams& p) {
    return fmt::format("{{{}, {}, {}, {}, {}}}", p.batch, p.in_channels, p.out_channels, p.groups, c_window(p.win));
}

std::string bias_expr(EmitCtx& c) {
    return c.has_input(2) ? c.in(2) : fmt::format("static_cast<const {}*>(nullptr)", c.in_ctype(0));
}

// ---- Conv ---------------------------------------------------------------------------------------

Status make_conv(NodeCtx& c, ConvPlan* plan) {
    int64_t groups = 1;
    KILN_TRY(check_operands(c, &groups));
    const Shape& x = c.in_shape(0);
    const Shape& w = c.in_shape(1);
    if (w[0] % groups != 0 || w[1] * groups != x[1])
        return c.fail("weights of shape {} do not fit {} input channels in {} groups", shape_str(w), x[1], groups);
    std::vector<int64_t> kernel;
    KILN_TRY(kernel_dims(c, w, &kernel));
    WindowGeometry g;
    KILN_TRY(forward_window(c, x, kernel, false, &g));
    KILN_TRY(check_bias(c, w[0]));
    plan->params = kernels::ConvParams{x[0], x[1], w[0], groups, to_kernel_window(g)};
    plan->out = {x[0], w[0]};
    plan->out.insert(plan->out.end(), g.out.begin(), g.out.end());
    return Status::ok();
}

Status infer_conv(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 3));
    KILN_TRY(check_types(c));
    ConvPlan plan;
    KILN_TRY(make_conv(c, &plan));
    c.set_output(0, c.in_dtype(0), plan.out);
    return c.status();
}

Status eval_conv(EvalCtx& c) {
    ConvPlan plan;
    KILN_TRY(make_conv(c, &plan));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::conv(c.in(0).data<T>(), c.in(1).data<T>(), c.has_in(2) ? c.in(2).data<T>() : nullptr,
                      c.out(0).data<T>(), plan.params);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_conv(EmitCtx& c) {
    ConvPlan plan;
    KILN_TRY(make_conv(c, &plan));
    c.use_kernel("portable/conv.h");
    std::string p = c.define_params("k::ConvParams", c_conv_params(plan.params));
    c.call("k::conv({}, {}, {}, {}, {});", c.in(0), c.in(1), bias_expr(c), c.out(0), p);
    return Status::ok();
}

// Every output element takes (C / group) x kernel-size multiply-adds.
int64_t conv_macs(NodeCtx& c) {
    const Shape& w = c.in_shape(1);
    return shape_numel(c.out_shape(0)) * shape_numel(Shape(w.begin() + 1, w.end()));
}

// ---- ConvTranspose ------------------------------------------------------------------------------

// Output sizes and begin paddings of a transposed convolution. With output_shape the padding follows
// from it (total = full size - requested size, split by auto_pad); a negative total grows the output
// with zero borders, which is what the ONNX reference does.
Status transpose_geometry(NodeCtx& c, const Shape& x, const std::vector<int64_t>& kernel, WindowGeometry* g) {
    const int rank = int(x.size()) - 2;
    if (rank < 1 || rank > kernels::kWindowDims)
        return c.fail("input of shape {} has {} spatial dims; 1 to {} are supported", shape_str(x), rank,
                      kernels::kWindowDims);
    g->in.assign(x.begin() + 2, x.end());
    g->kernel = kernel;
    KILN_TRY(per_dim_attr(c, "strides", rank, 1, &g->strides));
    KILN_TRY(per_dim_attr(c, "dilations", rank, 1, &g->dilations));
    std::vector<int64_t> out_pad = c.attr_ints("output_padding", std::vector<int64_t>(std::size_t(rank), 0));
    std::string auto_pad;
    KILN_TRY(read_auto_pad(c, &auto_pad));
    std::vector<int64_t> pads = c.attr_ints("pads", std::vector<int64_t>(std::size_t(2 * rank), 0));
    std::vector<int64_t> out_shape = c.attr_ints("output_shape");
    KILN_TRY(c.status());
    if (int(out_pad.size()) != rank)
        return c.fail("attribute 'output_padding' has {} values, expected {}", out_pad.size(), rank);
    if (out_shape.size() == std::size_t(rank + 2)) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
    if (!out_shape.empty() && int(out_shape.size()) != rank)
        return c.fail("attribute 'output_shape' has {} values, expected {}", out_shape.size(), rank);
    if (auto_pad == "NOTSET" && int(pads.size()) != 2 * rank)
        return c.fail("attribute 'pads' has {} values, expected {}", pads.size(), 2 * rank);
    g->out.assign(std::size_t(rank), 0);
    g->pad_begin.assign(std::size_t(rank), 0);
    g->pad_end.assign(std::size_t(rank), 0);
    auto floor_half = [](int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); };
    for (std::size_t d = 0; d < std::size_t(rank); ++d) {
        if (out_pad[d] < 0) return c.fail("attribute 'output_padding' has negative value {}", out_pad[d]);
        const int64_t full = g->strides[d] * (g->in[d] - 1) + out_pad[d] + (kernel[d] - 1) * g->dilations[d] + 1;
        int64_t out = 0, pb = 0;
        if (!out_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
            out = !out_shape.empty() ? out_shape[d] : g->in[d] * g->strides[d];
            const int64_t total = full - out;
            pb = auto_pad == "SAME_UPPER" ? floor_half(total) : total - floor_half(total);
        } else if (auto_pad == "VALID") {
            out = full;
        } else {
            pb = pads[d];
            out = full - pads[d] - pads[d + std::size_t(rank)];
        }
        if (out < 1) return c.fail("output dim {} would have size {}", d + 2, out);
        g->out[d] = out;
        g->pad_begin[d] = pb;
        g->pad_end[d] = full - out - pb;
    }
    return Status::ok();
}

Status make_conv_transpose(NodeCtx& c, ConvPlan* plan) {
    int64_t groups = 1;
    KILN_TRY(check_operands(c, &groups));
    const Shape& x = c.in_shape(0);
    const Shape& w = c.in_shape(1);
    if (w[0] != x[1]) return c.fail("weights of shape {} do not match {} input channels", shape_str(w), x[1]);
    std::vector<int64_t> kernel;
    KILN_TRY(kernel_dims(c, w, &kernel));
    WindowGeometry g;
    KILN_TRY(transpose_geometry(c, x, kernel, &g));
    const int64_t out_channels = w[1] * groups;
    KILN_TRY(check_bias(c, out_channels));
    plan->params = kernels::ConvParams{x[0], x[1], out_channels, groups, to_kernel_window(g)};
    plan->out = {x[0], out_channels};
    plan->out.insert(plan->out.end(), g.out.begin(), g.out.end());
    return Status::ok();
}

Status infer_conv_transpose(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 3));
    KILN_TRY(check_types(c));
    ConvPlan plan;
    KILN_TRY(make_conv_transpose(c, &plan));
    c.set_output(0, c.in_dtype(0), plan.out);
    return c.status();
}

Status eval_conv_transpose(EvalCtx& c) {
    ConvPlan plan;
    KILN_TRY(make_conv_transpose(c, &plan));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::conv_transpose(c.in(0).data<T>(), c.in(1).data<T>(), c.has_in(2) ? c.in(2).data<T>() : nullptr,
                                c.out(0).data<T>(), plan.params);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_conv_transpose(EmitCtx& c) {
    ConvPlan plan;
    KILN_TRY(make_conv_transpose(c, &plan));
    c.use_kernel("portable/conv.h");
    std::string p = c.define_params("k::ConvParams", c_conv_params(plan.params));
    c.call("k::conv_transpose({}, {}, {}, {}, {});", c.in(0), c.in(1), bias_expr(c), c.out(0), p);
    return Status::ok();
}

// Every input element is spread over (M / group) x kernel-size outputs.
int64_t conv_transpose_macs(NodeCtx& c) {
    const Shape& w = c.in_shape(1);
    return shape_numel(c.in_shape(0)) * shape_numel(Shape(w.begin() + 1, w.end()));
}

}  // namespace

Status make_conv_plan(NodeCtx& c, ConvPlan* plan) { return make_conv(c, plan); }

namespace {

// A 1x1, stride 1, unpadded window over an h x w plane.
kernels::Window pointwise_window(int64_t h, int64_t w) {
    kernels::Window one{};
    for (int d = 0; d < 3; ++d) {
        one.in[d] = one.out[d] = d == 0 ? 1 : d == 1 ? h : w;
        one.kernel[d] = one.stride[d] = one.dilation[d] = 1;
        one.pad[d] = 0;
    }
    return one;
}

// The 1x1 and depthwise stages of kiln.PointwiseDepthwise and kiln.InvertedResidual (inputs X, W1, B1?, Wd, Bd?).
Status pointwise_depthwise_stages(NodeCtx& c, ConvPlan* pw, ConvPlan* dw) {
    for (std::size_t i : {std::size_t(0), std::size_t(1), std::size_t(3)})
        if (!c.has_input(i)) return c.fail("input {} is missing", i);
    KILN_TRY(check_types(c));
    const Shape& x = c.in_shape(0);
    const Shape& w1 = c.in_shape(1);
    const Shape& wd = c.in_shape(3);
    if (x.size() != 4) return c.fail("input X has shape {}, expected N x C x H x W", shape_str(x));
    if (w1.size() != 4 || w1[1] != x[1] || w1[2] != 1 || w1[3] != 1)
        return c.fail("pointwise weights of shape {} are not C x {} x 1 x 1", shape_str(w1), x[1]);
    const int64_t ch = w1[0];
    if (wd.size() != 4 || wd[0] != ch || wd[1] != 1)
        return c.fail("depthwise weights of shape {} are not {} x 1 x kH x kW", shape_str(wd), ch);
    const int64_t groups = c.attr_int("group", 1);
    KILN_TRY(c.status());
    if (groups != ch) return c.fail("group {} is not the {} channels of a depthwise convolution", groups, ch);
    if (c.has_input(2) && c.in_shape(2) != Shape{ch})
        return c.fail("pointwise bias has shape {}, expected {}", shape_str(c.in_shape(2)), ch);
    if (c.has_input(4) && c.in_shape(4) != Shape{ch})
        return c.fail("depthwise bias has shape {}, expected {}", shape_str(c.in_shape(4)), ch);
    // The pointwise stage: 1x1, stride 1, unpadded, over X's plane.
    const Shape e{x[0], ch, x[2], x[3]};
    pw->params = kernels::ConvParams{x[0], x[1], ch, 1, pointwise_window(x[2], x[3])};
    pw->out = e;
    // The depthwise stage: the node's Conv attributes over the pointwise output.
    std::vector<int64_t> kernel;
    KILN_TRY(kernel_dims(c, wd, &kernel));
    WindowGeometry g;
    KILN_TRY(forward_window(c, e, kernel, false, &g));
    dw->params = kernels::ConvParams{x[0], ch, ch, ch, to_kernel_window(g)};
    dw->out = {x[0], ch};
    dw->out.insert(dw->out.end(), g.out.begin(), g.out.end());
    return Status::ok();
}

}  // namespace

Status make_pointwise_depthwise_plan(NodeCtx& c, ConvPlan* pw, ConvPlan* dw) {
    if (c.num_inputs() < 4 || c.num_inputs() > 6) return c.fail("has {} inputs, expected 4 to 6", c.num_inputs());
    return pointwise_depthwise_stages(c, pw, dw);
}

Status make_inverted_residual_plan(NodeCtx& c, ConvPlan* pw, ConvPlan* dw, ConvPlan* pj) {
    if (c.num_inputs() < 6 || c.num_inputs() > 8) return c.fail("has {} inputs, expected 6 to 8", c.num_inputs());
    if (!c.has_input(5)) return c.fail("input 5 (projection weights) is missing");
    KILN_TRY(pointwise_depthwise_stages(c, pw, dw));
    if (dw->out.size() != 4)
        return c.fail("the depthwise stage has output {}, expected 2-D planes", shape_str(dw->out));
    const int64_t ch = dw->out[1];
    const Shape& w2 = c.in_shape(5);
    if (w2.size() != 4 || w2[1] != ch || w2[2] != 1 || w2[3] != 1)
        return c.fail("projection weights of shape {} are not Cout x {} x 1 x 1", shape_str(w2), ch);
    if (c.has_input(6) && c.in_shape(6) != Shape{w2[0]})
        return c.fail("projection bias has shape {}, expected {}", shape_str(c.in_shape(6)), w2[0]);
    // The projection: 1x1, stride 1, unpadded, over the depthwise stage's output plane.
    pj->params = kernels::ConvParams{dw->out[0], ch, w2[0], 1, pointwise_window(dw->out[2], dw->out[3])};
    pj->out = {dw->out[0], w2[0], dw->out[2], dw->out[3]};
    return Status::ok();
}
Status make_conv_transpose_plan(NodeCtx& c, ConvPlan* plan) { return make_conv_transpose(c, plan); }
std::string conv_params_init(const kernels::ConvParams& p) { return c_conv_params(p); }

}  // namespace kiln

KILN_DEFINE_OP_MACS(Conv, infer_conv, eval_conv, emit_conv, conv_macs)
KILN_DEFINE_OP_MACS(ConvTranspose, infer_conv_transpose, eval_conv_transpose, emit_conv_transpose, conv_transpose_macs)
