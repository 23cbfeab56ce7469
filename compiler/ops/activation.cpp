// Activations with attributes: LeakyRelu, PRelu, Elu, Selu, Celu, HardSigmoid, HardSwish, Softplus,
// Softsign, ThresholdedRelu, Shrink. Each op's make_* reads its attributes once for eval and emit.
// Kernels: backends/portable/kernels/activation.h (functors over elementwise.h's maps).
#include "backends/common/c_literals.h"
#include "backends/portable/kernels/activation.h"
#include "ops/elementwise.h"
#include "ops/registry.h"

namespace kiln {
namespace {

// Writes the functor's float fields as an aggregate initializer: "{0.1f, 0.5f}".
std::string floats_init(std::initializer_list<float> v) {
    std::vector<std::string> parts;
    for (float f : v) parts.push_back(c_float(f));
    return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

Status emit_activation(EmitCtx& c, const char* name, const std::string& init) {
    c.use_kernel("portable/activation.h");
    return emit_unary(c, name, init);
}

kernels::LeakyRelu make_leaky_relu(NodeCtx& c) { return {c.attr_float("alpha", 0.01f)}; }
Status eval_leaky_relu(EvalCtx& c) { return eval_unary<kAnyFloat>(c, make_leaky_relu(c)); }
Status emit_leaky_relu(EmitCtx& c) { return emit_activation(c, "LeakyRelu", floats_init({make_leaky_relu(c).alpha})); }

kernels::Elu make_elu(NodeCtx& c) { return {c.attr_float("alpha", 1.0f)}; }
Status eval_elu(EvalCtx& c) { return eval_unary<kAnyFloat>(c, make_elu(c)); }
Status emit_elu(EmitCtx& c) { return emit_activation(c, "Elu", floats_init({make_elu(c).alpha})); }

kernels::Selu make_selu(NodeCtx& c) {
    return {c.attr_float("alpha", 1.67326319217681884765625f), c.attr_float("gamma", 1.05070102214813232421875f)};
}
Status eval_selu(EvalCtx& c) { return eval_unary<kAnyFloat>(c, make_selu(c)); }
Status emit_selu(EmitCtx& c) {
    kernels::Selu f = make_selu(c);
    return emit_activation(c, "Selu", floats_init({f.alpha, f.gamma}));
}

kernels::Celu make_celu(NodeCtx& c) { return {c.attr_float("alpha", 1.0f)}; }
Status infer_celu(InferCtx& c) {
    KILN_TRY(infer_unary(c, kAnyFloat));
    if (make_celu(c).alpha == 0.0f) return c.fail("attribute alpha must not be 0");
    return c.status();
}
Status eval_celu(EvalCtx& c) { return eval_unary<kAnyFloat>(c, make_celu(c)); }
Status emit_celu(EmitCtx& c) { return emit_activation(c, "Celu", floats_init({make_celu(c).alpha})); }

kernels::HardSigmoid make_hard_sigmoid(NodeCtx& c) { return {c.attr_float("alpha", 0.2f), c.attr_float("beta", 0.5f)}; }
Status eval_hard_sigmoid(EvalCtx& c) { return eval_unary<kAnyFloat>(c, make_hard_sigmoid(c)); }
Status emit_hard_sigmoid(EmitCtx& c) {
    kernels::HardSigmoid f = make_hard_sigmoid(c);
    return emit_activation(c, "HardSigmoid", floats_init({f.alpha, f.beta}));
}

kernels::ThresholdedRelu make_thresholded_relu(NodeCtx& c) { return {c.attr_float("alpha", 1.0f)}; }
Status eval_thresholded_relu(EvalCtx& c) { return eval_unary<kAnyFloat>(c, make_thresholded_relu(c)); }
Status emit_thresholded_relu(EmitCtx& c) {
    return emit_activation(c, "ThresholdedRelu", floats_init({make_thresholded_relu(c).alpha}));
}

kernels::Shrink make_shrink(NodeCtx& c) { return {c.attr_float("lambd", 0.5f), c.attr_float("bias", 0.0f)}; }
Status eval_shrink(EvalCtx& c) { return eval_unary<kNumeric>(c, make_shrink(c)); }
Status emit_shrink(EmitCtx& c) {
    kernels::Shrink f = make_shrink(c);
    return emit_activation(c, "Shrink", floats_init({f.lambd, f.bias}));
}

Status emit_hard_swish(EmitCtx& c) { return emit_activation(c, "HardSwish", "{}"); }
Status emit_softplus(EmitCtx& c) { return emit_activation(c, "Softplus", "{}"); }
Status emit_softsign(EmitCtx& c) { return emit_activation(c, "Softsign", "{}"); }

// ---- PRelu: the slope broadcasts to x (unidirectionally: the output has x's shape) ----------------------

// Opset < 7 gave a 1-D slope of x's channel count per channel (axis 1); numpy broadcasting since then.
Shape prelu_slope_shape(NodeCtx& c) {
    const Shape& x = c.in_shape(0);
    Shape s = c.in_shape(1);
    if (c.opset() < 7 && s.size() == 1 && x.size() >= 2 && s[0] == x[1] && s[0] != 1) {
        s.resize(x.size() - 1, 1);
    }
    return s;
}

kernels::BroadcastParams prelu_params(NodeCtx& c) {
    return make_broadcast_params(c.in_shape(0), {c.in_shape(0), prelu_slope_shape(c)});
}

Status infer_prelu(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    const DType t = c.in_dtype(0);
    if (!type_in_set(t, kNumeric)) return type_error(c, 0);
    if (c.in_dtype(1) != t)
        return c.fail("slope has type {}, expected {} like x", dtype_name(c.in_dtype(1)), dtype_name(t));
    Shape out;
    if (!broadcast_shapes({c.in_shape(0), prelu_slope_shape(c)}, &out) || out != c.in_shape(0))
        return c.fail("slope of shape {} does not broadcast to x of shape {}", shape_str(c.in_shape(1)),
                      shape_str(c.in_shape(0)));
    c.set_output(0, t, c.in_shape(0));
    return c.status();
}

Status eval_prelu(EvalCtx& c) {
    kernels::BroadcastParams p = prelu_params(c);
    bool ok = dispatch_map<kNumeric>(c.in(0).dtype(), [&](auto tag, auto adapt) {
        using T = typename decltype(tag)::type;
        kernels::binary(c.in(0).data<T>(), c.in(1).data<T>(), c.out(0).data<T>(), p, adapt(kernels::PRelu()));
    });
    return ok ? Status::ok() : type_error(c, 0);
}

Status emit_prelu(EmitCtx& c) {
    c.use_kernel("portable/activation.h");
    std::string p = c.define_params("k::BroadcastParams", c_broadcast_params(prelu_params(c)));
    c.call("k::binary({}, {}, {}, {}, {});", c.in(0), c.in(1), c.out(0), p,
           functor_expr(c, c.in_dtype(0), "PRelu"));
    return Status::ok();
}

// Inference for activations with attributes: reads them through the op's make_* so unknown or mistyped
// attributes are reported at compile time, then types and shapes as for any unary map.
template <unsigned SET, auto MAKE>
Status infer_with_attrs(InferCtx& c) {
    MAKE(c);
    return infer_unary_in<SET>(c);
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP_INPLACE(Celu, infer_celu, eval_celu, emit_celu, inplace_unary)
KILN_DEFINE_OP_INPLACE(Elu, (infer_with_attrs<kAnyFloat, make_elu>), eval_elu, emit_elu, inplace_unary)
KILN_DEFINE_OP_INPLACE(HardSigmoid, (infer_with_attrs<kAnyFloat, make_hard_sigmoid>), eval_hard_sigmoid, emit_hard_sigmoid, inplace_unary)
KILN_DEFINE_OP_INPLACE(HardSwish, infer_unary_in<kAnyFloat>, (eval_unary_op<kAnyFloat, kernels::HardSwish>), emit_hard_swish, inplace_unary)
KILN_DEFINE_OP_INPLACE(LeakyRelu, (infer_with_attrs<kAnyFloat, make_leaky_relu>), eval_leaky_relu, emit_leaky_relu, inplace_unary)
KILN_DEFINE_OP_INPLACE(PRelu, infer_prelu, eval_prelu, emit_prelu, inplace_binary)
KILN_DEFINE_OP_INPLACE(Selu, (infer_with_attrs<kAnyFloat, make_selu>), eval_selu, emit_selu, inplace_unary)
KILN_DEFINE_OP_INPLACE(Shrink, (infer_with_attrs<kNumeric, make_shrink>), eval_shrink, emit_shrink, inplace_unary)
KILN_DEFINE_OP_INPLACE(Softplus, infer_unary_in<kAnyFloat>, (eval_unary_op<kAnyFloat, kernels::Softplus>), emit_softplus, inplace_unary)
KILN_DEFINE_OP_INPLACE(Softsign, infer_unary_in<kAnyFloat>, (eval_unary_op<kAnyFloat, kernels::Softsign>), emit_softsign, inplace_unary)
KILN_DEFINE_OP_INPLACE(ThresholdedRelu, (infer_with_attrs<kAnyFloat, make_thresholded_relu>), eval_thresholded_relu, emit_thresholded_relu, inplace_unary)
