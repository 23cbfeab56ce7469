// Elementwise arithmetic and activations that map one functor over their inputs:
// Relu, Sigmoid, Add, Sub, Mul, Div. Kernels: backends/portable/kernels/elementwise.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/elementwise.h"
#include "ops/broadcast.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

// ---- unary: y = f(x), same dtype and shape --------------------------------------------------------

Status infer_unary_float(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    KILN_TRY(c.require_float_input(0));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

// fp16/bf16 are raw uint16_t bit patterns to the kernels: computing on them would be silently wrong.
bool is_bit_pattern(DType t) { return t == DType::Float16 || t == DType::BFloat16; }

Status infer_unary_numeric(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    DType t = c.in_dtype(0);
    if (is_bit_pattern(t)) return c.fail("type {} is not supported (kernels compute in f32 and f64)", dtype_name(t));
    if (!dtype_is_float(t) && !dtype_is_integer(t))
        return c.fail("input has type {}, expected a numeric type", dtype_name(t));
    c.set_output(0, t, c.in_shape(0));
    return c.status();
}

template <typename F>
Status eval_unary_float(EvalCtx& c) {
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::unary(c.in(0).data<T>(), c.out(0).data<T>(), c.in(0).numel(), F());
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

template <typename F>
Status eval_unary_numeric(EvalCtx& c) {
    bool ok = dispatch_numeric(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::unary(c.in(0).data<T>(), c.out(0).data<T>(), c.in(0).numel(), F());
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_unary(EmitCtx& c, const char* functor) {
    c.use_kernel("portable/elementwise.h");
    c.call("k::unary({}, {}, {}, k::{}());", c.in(0), c.out(0), c.input(0).numel(), functor);
    return Status::ok();
}

Status emit_relu(EmitCtx& c) { return emit_unary(c, "Relu"); }
Status emit_sigmoid(EmitCtx& c) { return emit_unary(c, "Sigmoid"); }

// ---- binary arithmetic with broadcasting ----------------------------------------------------------

Status infer_binary_numeric(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    DType t = c.in_dtype(0);
    if (c.in_dtype(1) != t)
        return c.fail("inputs have different types {} and {}", dtype_name(t), dtype_name(c.in_dtype(1)));
    if (is_bit_pattern(t)) return c.fail("type {} is not supported (kernels compute in f32 and f64)", dtype_name(t));
    if (!dtype_is_float(t) && !dtype_is_integer(t))
        return c.fail("inputs have type {}, expected a numeric type", dtype_name(t));
    Shape out;
    if (!broadcast_shapes({c.in_shape(0), c.in_shape(1)}, &out))
        return c.fail("shapes {} and {} do not broadcast", shape_str(c.in_shape(0)), shape_str(c.in_shape(1)));
    c.set_output(0, t, out);
    return c.status();
}

template <typename F>
Status eval_binary_numeric(EvalCtx& c) {
    kernels::BroadcastParams p = make_broadcast_params(c.out(0).shape(), {c.in(0).shape(), c.in(1).shape()});
    bool ok = dispatch_numeric(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::binary(c.in(0).data<T>(), c.in(1).data<T>(), c.out(0).data<T>(), p, F());
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_binary(EmitCtx& c, const char* functor) {
    c.use_kernel("portable/elementwise.h");
    std::string p = c.define_params("k::BroadcastParams",
                                    c_broadcast_params(make_broadcast_params(c.out_shape(0), {c.in_shape(0), c.in_shape(1)})));
    c.call("k::binary({}, {}, {}, {}, k::{}());", c.in(0), c.in(1), c.out(0), p, functor);
    return Status::ok();
}

Status emit_add(EmitCtx& c) { return emit_binary(c, "Add"); }
Status emit_sub(EmitCtx& c) { return emit_binary(c, "Sub"); }
Status emit_mul(EmitCtx& c) { return emit_binary(c, "Mul"); }
Status emit_div(EmitCtx& c) { return emit_binary(c, "Div"); }

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Relu, infer_unary_numeric, eval_unary_numeric<kernels::Relu>, emit_relu)
KILN_DEFINE_OP(Sigmoid, infer_unary_float, eval_unary_float<kernels::Sigmoid>, emit_sigmoid)
KILN_DEFINE_OP(Add, infer_binary_numeric, eval_binary_numeric<kernels::Add>, emit_add)
KILN_DEFINE_OP(Sub, infer_binary_numeric, eval_binary_numeric<kernels::Sub>, emit_sub)
KILN_DEFINE_OP(Mul, infer_binary_numeric, eval_binary_numeric<kernels::Mul>, emit_mul)
KILN_DEFINE_OP(Div, infer_binary_numeric, eval_binary_numeric<kernels::Div>, emit_div)
