// QuantizeLinear and DequantizeLinear (per tensor, or per axis from opset 13) and DynamicQuantizeLinear.
// Scales and zero points may be run-time inputs; their shapes decide per-tensor or per-axis at compile
// time. Constant Q/DQ chains fold like any other op. Kernels: portable/quantize.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/quantize.h"
#include "ops/quant_params.h"
#include "ops/registry.h"

namespace kiln {
namespace {

// [outer, channels, inner] of x for the node's scale (input 1) and zero point (input 2).
Status make_axis_params(NodeCtx& c, kernels::QuantAxisParams* p) {
    const Shape& x = c.in_shape(0);
    const Shape& s = c.in_shape(1);
    // `axis` exists from opset 13; before, an axis attribute is reported as unsupported.
    const int64_t axis_attr = c.opset() >= 13 ? c.attr_int("axis", 1) : 1;
    KILN_TRY(c.status());
    KILN_TRY(require_scale(c, 1, "scale"));
    if (c.has_input(2) && c.in_shape(2) != s && !(shape_numel(c.in_shape(2)) == 1 && shape_numel(s) == 1))
        return c.fail("zero point of shape {} does not match scale of shape {}", shape_str(c.in_shape(2)),
                      shape_str(s));
    if (shape_numel(s) == 1 && s.size() <= 1) {
        *p = kernels::QuantAxisParams{1, 1, shape_numel(x)};
        return Status::ok();
    }
    if (c.opset() < 13) return c.fail("scale has shape {}; before opset 13 it must be a scalar", shape_str(s));
    if (s.size() != 1) return c.fail("scale has shape {}, expected a scalar or a 1-D tensor", shape_str(s));
    const int64_t axis = c.normalize_axis(axis_attr, int64_t(x.size()));
    KILN_TRY(c.status());
    if (s[0] != x[std::size_t(axis)])
        return c.fail("scale has {} values but axis {} of x (shape {}) has {}", s[0], axis, shape_str(x),
                      x[std::size_t(axis)]);
    p->outer = shape_numel(Shape(x.begin(), x.begin() + axis));
    p->channels = s[0];
    p->inner = shape_numel(Shape(x.begin() + axis + 1, x.end()));
    return Status::ok();
}

std::string c_axis_params(const kernels::QuantAxisParams& p) {
    return fmt::format("{{{}, {}, {}}}", p.outer, p.channels, p.inner);
}

// ---- QuantizeLinear -----------------------------------------------------------------------------

Status infer_quantize(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 3));
    DType x = c.in_dtype(0);
    if (x != DType::Float32 && x != DType::Int32)
        return c.fail("input x has type {}, expected float or int32", dtype_name(x));
    // Without a zero point the output is uint8.
    DType y = DType::UInt8;
    if (c.has_input(2)) {
        KILN_TRY(require_q8(c, 2, "y_zero_point"));
        y = c.in_dtype(2);
    }
    kernels::QuantAxisParams p;
    KILN_TRY(make_axis_params(c, &p));
    c.set_output(0, y, c.in_shape(0));
    return c.status();
}

Status eval_quantize(EvalCtx& c) {
    kernels::QuantAxisParams p;
    KILN_TRY(make_axis_params(c, &p));
    const DType tx = c.in(0).dtype();
    bool ok = dispatch_q8(c.out(0).dtype(), [&](auto ty) {
        using TY = typename decltype(ty)::type;
        const TY* zp = c.has_in(2) ? c.in(2).data<TY>() : nullptr;
        if (tx == DType::Int32)
            kernels::quantize_linear(c.in(0).data<int32_t>(), c.in(1).data<float>(), zp, c.out(0).data<TY>(), p);
        else
            kernels::quantize_linear(c.in(0).data<float>(), c.in(1).data<float>(), zp, c.out(0).data<TY>(), p);
    });
    return ok ? Status::ok() : c.fail("output type {} is not supported", dtype_name(c.out(0).dtype()));
}

Status emit_quantize(EmitCtx& c) {
    kernels::QuantAxisParams p;
    KILN_TRY(make_axis_params(c, &p));
    c.use_kernel("portable/quantize.h");
    std::string params = c.define_params("k::QuantAxisParams", c_axis_params(p));
    c.call("k::quantize_linear({}, {}, {}, {}, {});", c.in(0), c.in(1), optional_input(c, 2, c.out_ctype(0)),
           c.out(0), params);
    return Status::ok();
}

// ---- DequantizeLinear ---------------------------------------------------------------------------

Status infer_dequantize(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 3));
    DType x = c.in_dtype(0);
    if (x != DType::UInt8 && x != DType::Int8 && x != DType::Int32)
        return c.fail("input x has type {}, expected uint8, int8 or int32", dtype_name(x));
    if (c.has_input(2)) KILN_TRY(require_same_type(c, 2, "x_zero_point", x));
    kernels::QuantAxisParams p;
    KILN_TRY(make_axis_params(c, &p));
    c.set_output(0, DType::Float32, c.in_shape(0));
    return c.status();
}

Status eval_dequantize(EvalCtx& c) {
    kernels::QuantAxisParams p;
    KILN_TRY(make_axis_params(c, &p));
    auto run = [&](auto tag) {
        using TX = typename decltype(tag)::type;
        const TX* zp = c.has_in(2) ? c.in(2).data<TX>() : nullptr;
        kernels::dequantize_linear(c.in(0).data<TX>(), c.in(1).data<float>(), zp, c.out(0).data<float>(), p);
    };
    bool ok = c.in(0).dtype() == DType::Int32 ? (run(TypeTag<int32_t>{}), true) : dispatch_q8(c.in(0).dtype(), run);
    return ok ? Status::ok() : c.fail("input type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_dequantize(EmitCtx& c) {
    kernels::QuantAxisParams p;
    KILN_TRY(make_axis_params(c, &p));
    c.use_kernel("portable/quantize.h");
    std::string params = c.define_params("k::QuantAxisParams", c_axis_params(p));
    c.call("k::dequantize_linear({}, {}, {}, {}, {});", c.in(0), c.in(1), optional_input(c, 2, c.in_ctype(0)),
           c.out(0), params);
    return Status::ok();
}

// ---- DynamicQuantizeLinear ----------------------------------------------------------------------

Status infer_dynamic_quantize(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    if (c.in_dtype(0) != DType::Float32)
        return c.fail("input x has type {}, expected float", dtype_name(c.in_dtype(0)));
    for (std::size_t i = 0; i < 3; ++i)
        if (!c.has_output(i)) return c.fail("output {} is required", i);
    c.set_output(0, DType::UInt8, c.in_shape(0));
    c.set_output(1, DType::Float32, {});
    c.set_output(2, DType::UInt8, {});
    return c.status();
}

Status eval_dynamic_quantize(EvalCtx& c) {
    kernels::dynamic_quantize_linear(c.in(0).data<float>(), c.in(0).numel(), c.out(0).data<uint8_t>(),
                                     c.out(1).data<float>(), c.out(2).data<uint8_t>());
    return Status::ok();
}

Status emit_dynamic_quantize(EmitCtx& c) {
    c.use_kernel("portable/quantize.h");
    c.call("k::dynamic_quantize_linear({}, {}, {}, {}, {});", c.in(0), c.input(0).numel(), c.out(0), c.out(1),
           c.out(2));
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(DequantizeLinear, infer_dequantize, eval_dequantize, emit_dequantize)
KILN_DEFINE_OP(DynamicQuantizeLinear, infer_dynamic_quantize, eval_dynamic_quantize, emit_dynamic_quantize)
KILN_DEFINE_OP(QuantizeLinear, infer_quantize, eval_quantize, emit_quantize)
