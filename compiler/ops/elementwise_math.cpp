// Unary math functions (Abs, Neg, Sign, Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Round, Erf, the
// trigonometric and hyperbolic functions and their inverses) and Clip.
// Kernels: backends/portable/kernels/elementwise.h.
#include "backends/common/c_literals.h"
#include "ops/elementwise.h"
#include "ops/registry.h"

namespace kiln {
namespace {

// ---- Clip: bounds are attributes before opset 11, optional scalar inputs from then on -----------------

// Element types Clip accepts at this opset (integers from opset 12). Half floats are not supported:
// comparing their bit patterns would be wrong and no test needs them.
unsigned clip_types(NodeCtx& c) { return c.opset() >= 12 ? (kFloats | kSignedInts | kUnsignedInts) : kFloats; }

Status infer_clip(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, c.opset() >= 11 ? 3 : 1));
    DType t = c.in_dtype(0);
    if (t == DType::Float16 || t == DType::BFloat16)
        return c.fail("type {} is not supported (only f32, f64 and integer types)", dtype_name(t));
    if (!type_in_set(t, clip_types(c))) return type_error(c, 0);
    for (std::size_t i = 1; i < c.num_inputs(); ++i) {
        if (!c.has_input(i)) continue;
        if (c.in_dtype(i) != t)
            return c.fail("bound input {} has type {}, expected {}", i, dtype_name(c.in_dtype(i)), dtype_name(t));
        if (shape_numel(c.in_shape(i)) != 1)
            return c.fail("bound input {} has shape {}, expected a scalar", i, shape_str(c.in_shape(i)));
    }
    c.attr_float("min", 0.0f);  // kind checks
    c.attr_float("max", 0.0f);
    c.set_output(0, t, c.in_shape(0));
    return c.status();
}

// Bounds from attributes (opset < 11); absent ones are unbounded.
struct ClipAttrs {
    bool has_lo, has_hi;
    float lo, hi;
};
ClipAttrs clip_attrs(NodeCtx& c) {
    return {c.has_attr("min"), c.has_attr("max"), c.attr_float("min", 0.0f), c.attr_float("max", 0.0f)};
}

Status eval_clip(EvalCtx& c) {
    ClipAttrs a = clip_attrs(c);
    bool ok = dispatch_map<kFloats | kSignedInts | kUnsignedInts>(c.in(0).dtype(), [&](auto tag, auto) {
        using T = typename decltype(tag)::type;
        T lo_attr = T(a.lo), hi_attr = T(a.hi);
        const T* lo = nullptr;
        const T* hi = nullptr;
        if (c.opset() >= 11) {
            if (c.has_in(1)) lo = c.in(1).data<T>();
            if (c.has_in(2)) hi = c.in(2).data<T>();
        } else {
            if (a.has_lo) lo = &lo_attr;
            if (a.has_hi) hi = &hi_attr;
        }
        kernels::clip(c.in(0).data<T>(), c.out(0).data<T>(), c.in(0).numel(), lo, hi);
    });
    return ok ? Status::ok() : type_error(c, 0);
}

Status emit_clip(EmitCtx& c) {
    c.use_kernel("portable/elementwise.h");
    std::string lo = "nullptr", hi = "nullptr";
    const std::string ctype = c.in_ctype(0);
    if (c.opset() >= 11) {
        if (c.has_input(1)) lo = c.in(1);
        if (c.has_input(2)) hi = c.in(2);
    } else {
        ClipAttrs a = clip_attrs(c);
        auto literal = [&](float v) { return c.in_dtype(0) == DType::Float64 ? c_double(v) : c_float(v); };
        if (a.has_lo) lo = "&" + c.define_params(ctype, literal(a.lo), "lo");
        if (a.has_hi) hi = "&" + c.define_params(ctype, literal(a.hi), "hi");
    }
    c.call("k::clip<{}>({}, {}, {}, {}, {});", ctype, c.in(0), c.out(0), c.input(0).numel(), lo, hi);
    return Status::ok();
}

// One emitter per functor name, so the macro below can name it.
template <const char* NAME>
Status emit_named(EmitCtx& c) { return emit_unary(c, NAME); }

}  // namespace
}  // namespace kiln

// Parameterless unary functions: kernels::OP maps one element; SET is the accepted element types.
#define KILN_UNARY_MATH_OP(OP, SET)                                         \
    namespace kiln { namespace { constexpr char kName##OP[] = #OP; } }       \
    KILN_DEFINE_OP_INPLACE(OP, infer_unary_in<SET>, (eval_unary_op<SET, kernels::OP>), emit_named<kName##OP>, inplace_unary)

KILN_UNARY_MATH_OP(Abs, kNumeric)
KILN_UNARY_MATH_OP(Acos, kAnyFloat)
KILN_UNARY_MATH_OP(Acosh, kAnyFloat)
KILN_UNARY_MATH_OP(Asin, kAnyFloat)
KILN_UNARY_MATH_OP(Asinh, kAnyFloat)
KILN_UNARY_MATH_OP(Atan, kAnyFloat)
KILN_UNARY_MATH_OP(Atanh, kAnyFloat)
KILN_UNARY_MATH_OP(Ceil, kAnyFloat)
KILN_UNARY_MATH_OP(Cos, kAnyFloat)
KILN_UNARY_MATH_OP(Cosh, kAnyFloat)
KILN_UNARY_MATH_OP(Erf, kAnyFloat)
KILN_UNARY_MATH_OP(Exp, kAnyFloat)
KILN_UNARY_MATH_OP(Floor, kAnyFloat)
KILN_UNARY_MATH_OP(Log, kAnyFloat)
KILN_UNARY_MATH_OP(Neg, kSignedNumeric)
KILN_UNARY_MATH_OP(Reciprocal, kAnyFloat)
KILN_UNARY_MATH_OP(Round, kAnyFloat)
KILN_UNARY_MATH_OP(Sign, kNumeric)
KILN_UNARY_MATH_OP(Sin, kAnyFloat)
KILN_UNARY_MATH_OP(Sinh, kAnyFloat)
KILN_UNARY_MATH_OP(Sqrt, kAnyFloat)
KILN_UNARY_MATH_OP(Tan, kAnyFloat)
KILN_UNARY_MATH_OP(Tanh, kAnyFloat)
#undef KILN_UNARY_MATH_OP

KILN_DEFINE_OP_INPLACE(Clip, infer_clip, eval_clip, emit_clip, inplace_unary)
