// Quantized convolutions: ConvInteger (int32 output) and QLinearConv (requantized int8/uint8 output), with
// every Conv attribute (group, strides, dilations, pads, auto_pad, kernel_shape) over 1-D to 3-D inputs
// and per-tensor or per-output-channel weight zero points and scales. Kernels: portable/qconv.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/qconv.h"
#include "ops/quant_params.h"
#include "ops/registry.h"
#include "ops/sliding_window.h"

namespace kiln {
namespace {

// Kernel parameters and output shape, computed the same way for inference, evaluation and emission.
struct QConvPlan {
    kernels::QConvParams params{};
    Shape out;
};

// Conv's geometry for x (input xi) and w (input wi), as the float Conv reads it.
Status conv_geometry(NodeCtx& c, std::size_t xi, std::size_t wi, QConvPlan* plan) {
    const Shape& x = c.in_shape(xi);
    const Shape& w = c.in_shape(wi);
    if (x.size() < 3) return c.fail("input x has shape {}, expected N x C x spatial dims", shape_str(x));
    if (w.size() != x.size())
        return c.fail("weights of shape {} do not match the rank of x ({})", shape_str(w), shape_str(x));
    const int64_t groups = c.attr_int("group", 1);
    std::vector<int64_t> from_w(w.begin() + 2, w.end());
    std::vector<int64_t> kernel = c.attr_ints("kernel_shape", from_w);
    KILN_TRY(c.status());
    if (groups < 1 || x[1] % groups != 0) return c.fail("group {} does not divide the {} input channels", groups, x[1]);
    if (w[0] % groups != 0 || w[1] * groups != x[1])
        return c.fail("weights of shape {} do not fit {} input channels in {} groups", shape_str(w), x[1], groups);
    if (kernel != from_w)
        return c.fail("kernel_shape [{}] does not match weights of shape {}", fmt::join(kernel, ","), shape_str(w));
    WindowGeometry g;
    KILN_TRY(forward_window(c, x, kernel, false, &g));
    plan->params.batch = x[0];
    plan->params.in_channels = x[1];
    plan->params.out_channels = w[0];
    plan->params.groups = groups;
    plan->params.win = to_kernel_window(g);
    plan->out = {x[0], w[0]};
    plan->out.insert(plan->out.end(), g.out.begin(), g.out.end());
    return Status::ok();
}

std::string c_qconv_params(const kernels::QConvParams& p) {
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {}}}", p.batch, p.in_channels, p.out_channels, p.groups,
                       c_window(p.win), p.w_zp_per_channel, p.w_scale_per_channel);
}

// Every output element takes (C / group) x kernel-size multiply-adds; w is input wi.
int64_t qconv_macs(NodeCtx& c, std::size_t wi) {
    const Shape& w = c.in_shape(wi);
    return shape_numel(c.out_shape(0)) * shape_numel(Shape(w.begin() + 1, w.end()));
}

// ---- ConvInteger: x, w, x_zero_point?, w_zero_point? --------------------------------------------

Status make_conv_integer(NodeCtx& c, QConvPlan* plan) {
    KILN_TRY(require_q8(c, 0, "x"));
    KILN_TRY(require_q8(c, 1, "w"));
    KILN_TRY(conv_geometry(c, 0, 1, plan));
    if (c.has_input(2)) {
        KILN_TRY(require_same_type(c, 2, "x_zero_point", c.in_dtype(0)));
        KILN_TRY(require_one_value(c, 2, "x_zero_point"));
    }
    bool per_channel = false;
    if (c.has_input(3)) {
        KILN_TRY(require_same_type(c, 3, "w_zero_point", c.in_dtype(1)));
        KILN_TRY(one_or_n_values(c, 3, "w_zero_point", plan->params.out_channels, &per_channel));
    }
    plan->params.w_zp_per_channel = per_channel;
    return Status::ok();
}

Status infer_conv_integer(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 4));
    QConvPlan plan;
    KILN_TRY(make_conv_integer(c, &plan));
    c.set_output(0, DType::Int32, plan.out);
    return c.status();
}

Status eval_conv_integer(EvalCtx& c) {
    QConvPlan plan;
    KILN_TRY(make_conv_integer(c, &plan));
    bool ok = dispatch_q8(c.in(0).dtype(), [&](auto tx) {
        using TX = typename decltype(tx)::type;
        dispatch_q8(c.in(1).dtype(), [&](auto tw) {
            using TW = typename decltype(tw)::type;
            kernels::conv_integer(c.in(0).data<TX>(), c.in(1).data<TW>(), c.has_in(2) ? c.in(2).data<TX>() : nullptr,
                                  c.has_in(3) ? c.in(3).data<TW>() : nullptr, c.out(0).data<int32_t>(), plan.params);
        });
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_conv_integer(EmitCtx& c) {
    QConvPlan plan;
    KILN_TRY(make_conv_integer(c, &plan));
    c.use_kernel("portable/qconv.h");
    std::string p = c.define_params("k::QConvParams", c_qconv_params(plan.params));
    c.call("k::conv_integer({}, {}, {}, {}, {}, {});", c.in(0), c.in(1), optional_input(c, 2, c.in_ctype(0)),
           optional_input(c, 3, c.in_ctype(1)), c.out(0), p);
    return Status::ok();
}

int64_t conv_integer_macs(NodeCtx& c) { return qconv_macs(c, 1); }

// ---- QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B? --

Status make_qlinear_conv(NodeCtx& c, QConvPlan* plan) {
    KILN_TRY(require_q8(c, 0, "x"));
    KILN_TRY(require_q8(c, 3, "w"));
    KILN_TRY(require_q8(c, 7, "y_zero_point"));
    KILN_TRY(require_same_type(c, 2, "x_zero_point", c.in_dtype(0)));
    KILN_TRY(require_same_type(c, 5, "w_zero_point", c.in_dtype(3)));
    KILN_TRY(conv_geometry(c, 0, 3, plan));
    const int64_t m = plan->params.out_channels;
    KILN_TRY(require_scale(c, 1, "x_scale"));
    KILN_TRY(require_scale(c, 4, "w_scale"));
    KILN_TRY(require_scale(c, 6, "y_scale"));
    KILN_TRY(require_one_value(c, 1, "x_scale"));
    KILN_TRY(require_one_value(c, 2, "x_zero_point"));
    KILN_TRY(require_one_value(c, 6, "y_scale"));
    KILN_TRY(require_one_value(c, 7, "y_zero_point"));
    bool scale_per_channel = false, zp_per_channel = false;
    KILN_TRY(one_or_n_values(c, 4, "w_scale", m, &scale_per_channel));
    KILN_TRY(one_or_n_values(c, 5, "w_zero_point", m, &zp_per_channel));
    plan->params.w_scale_per_channel = scale_per_channel;
    plan->params.w_zp_per_channel = zp_per_channel;
    if (c.has_input(8)) {
        KILN_TRY(require_same_type(c, 8, "B", DType::Int32));
        if (c.in_shape(8) != Shape{m}) return c.fail("bias has shape {}, expected {}", shape_str(c.in_shape(8)), m);
    }
    return Status::ok();
}

Status infer_qlinear_conv(InferCtx& c) {
    KILN_TRY(c.require_inputs(8, 9));
    QConvPlan plan;
    KILN_TRY(make_qlinear_conv(c, &plan));
    c.set_output(0, c.in_dtype(7), plan.out);
    return c.status();
}

Status eval_qlinear_conv(EvalCtx& c) {
    QConvPlan plan;
    KILN_TRY(make_qlinear_conv(c, &plan));
    const int32_t* bias = c.has_in(8) ? c.in(8).data<int32_t>() : nullptr;
    bool ok = dispatch_q8(c.in(0).dtype(), [&](auto tx) {
        using TX = typename decltype(tx)::type;
        dispatch_q8(c.in(3).dtype(), [&](auto tw) {
            using TW = typename decltype(tw)::type;
            dispatch_q8(c.in(7).dtype(), [&](auto ty) {
                using TY = typename decltype(ty)::type;
                kernels::qlinear_conv(c.in(0).data<TX>(), c.in(1).data<float>(), c.in(2).data<TX>(),
                                      c.in(3).data<TW>(), c.in(4).data<float>(), c.in(5).data<TW>(),
                                      c.in(6).data<float>(), c.in(7).data<TY>(), bias, c.out(0).data<TY>(),
                                      plan.params);
            });
        });
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_qlinear_conv(EmitCtx& c) {
    QConvPlan plan;
    KILN_TRY(make_qlinear_conv(c, &plan));
    c.use_kernel("portable/qconv.h");
    std::string p = c.define_params("k::QConvParams", c_qconv_params(plan.params));
    c.call("k::qlinear_conv({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});", c.in(0), c.in(1), c.in(2), c.in(3),
           c.in(4), c.in(5), c.in(6), c.in(7), optional_input(c, 8, "int32_t"), c.out(0), p);
    return Status::ok();
}

int64_t qlinear_conv_macs(NodeCtx& c) { return qconv_macs(c, 3); }

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP_MACS(ConvInteger, infer_conv_integer, eval_conv_integer, emit_conv_integer, conv_integer_macs)
KILN_DEFINE_OP_MACS(QLinearConv, infer_qlinear_conv, eval_qlinear_conv, emit_qlinear_conv, qlinear_conv_macs)
