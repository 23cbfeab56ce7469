// Comparisons (Equal, Less, LessOrEqual, Greater, GreaterOrEqual), boolean ops (And, Or, Xor, Not),
// IsNaN, IsInf and Where, all with broadcasting. Kernels: backends/portable/kernels/logic.h.
#include "backends/portable/kernels/logic.h"
#include "ops/elementwise.h"
#include "ops/registry.h"

namespace kiln {
namespace {

// Half floats are not compared: their bit patterns do not order like their values.
constexpr unsigned kOrdered = kFloats | kSignedInts | kUnsignedInts;
constexpr unsigned kEquatable = kOrdered | kBools;

template <unsigned SET>
Status infer_compare(InferCtx& c) { return infer_binary(c, SET, DType::Bool); }

Status emit_logic_binary(EmitCtx& c, const char* name) {
    c.use_kernel("portable/logic.h");
    return emit_binary(c, name);
}

template <const char* NAME>
Status emit_named(EmitCtx& c) { return emit_logic_binary(c, NAME); }

constexpr char kEqual[] = "Equal";
constexpr char kLess[] = "Less";
constexpr char kLessOrEqual[] = "LessOrEqual";
constexpr char kGreater[] = "Greater";
constexpr char kGreaterOrEqual[] = "GreaterOrEqual";
constexpr char kAnd[] = "And";
constexpr char kOr[] = "Or";
constexpr char kXor[] = "Xor";

// ---- unary predicates: bool output --------------------------------------------------------------------

Status infer_not(InferCtx& c) { return infer_unary(c, kBools); }
Status infer_float_predicate(InferCtx& c) { return infer_unary(c, kFloats, DType::Bool); }

template <typename F>
Status eval_predicate(EvalCtx& c, F f) {
    bool ok = dispatch_map<kFloats | kBools>(c.in(0).dtype(), [&](auto tag, auto) {
        using T = typename decltype(tag)::type;
        kernels::unary(c.in(0).data<T>(), c.out(0).data<bool>(), c.in(0).numel(), f);
    });
    return ok ? Status::ok() : type_error(c, 0);
}

kernels::IsInf make_isinf(NodeCtx& c) {
    return {c.attr_int("detect_positive", 1) != 0, c.attr_int("detect_negative", 1) != 0};
}

Status infer_isinf(InferCtx& c) {
    make_isinf(c);  // reads detect_positive / detect_negative
    return infer_float_predicate(c);
}

Status eval_not(EvalCtx& c) { return eval_predicate(c, kernels::Not()); }
Status eval_isnan(EvalCtx& c) { return eval_predicate(c, kernels::IsNaN()); }
Status eval_isinf(EvalCtx& c) { return eval_predicate(c, make_isinf(c)); }

Status emit_predicate(EmitCtx& c, const char* name, const std::string& init) {
    c.use_kernel("portable/logic.h");
    c.call("k::unary({}, {}, {}, k::{}{});", c.in(0), c.out(0), c.input(0).numel(), name, init);
    return Status::ok();
}

Status emit_not(EmitCtx& c) { return emit_predicate(c, "Not", "{}"); }
Status emit_isnan(EmitCtx& c) { return emit_predicate(c, "IsNaN", "{}"); }
Status emit_isinf(EmitCtx& c) {
    kernels::IsInf f = make_isinf(c);
    return emit_predicate(c, "IsInf", fmt::format("{{{}, {}}}", f.detect_positive, f.detect_negative));
}

// ---- Where ----------------------------------------------------------------------------------------------

Status infer_where(InferCtx& c) {
    KILN_TRY(c.require_inputs(3, 3));
    if (c.in_dtype(0) != DType::Bool)
        return c.fail("condition has type {}, expected bool", dtype_name(c.in_dtype(0)));
    const DType t = c.in_dtype(1);
    if (c.in_dtype(2) != t) return c.fail("X and Y have different types {} and {}", dtype_name(t), dtype_name(c.in_dtype(2)));
    if (!dispatch_any(t, [](auto) {})) return type_error(c, 1);
    Shape out;
    if (!broadcast_shapes({c.in_shape(0), c.in_shape(1), c.in_shape(2)}, &out))
        return c.fail("shapes {}, {} and {} do not broadcast", shape_str(c.in_shape(0)), shape_str(c.in_shape(1)),
                      shape_str(c.in_shape(2)));
    c.set_output(0, t, out);
    return c.status();
}

Status eval_where(EvalCtx& c) {
    kernels::BroadcastParams p = node_broadcast_params(c);
    bool ok = dispatch_any(c.in(1).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::ternary(c.in(0).data<bool>(), c.in(1).data<T>(), c.in(2).data<T>(), c.out(0).data<T>(), p,
                         kernels::Select());
    });
    return ok ? Status::ok() : type_error(c, 1);
}

Status emit_where(EmitCtx& c) {
    c.use_kernel("portable/logic.h");
    std::string p = c.define_params("k::BroadcastParams", c_broadcast_params(node_broadcast_params(c)));
    c.call("k::ternary({}, {}, {}, {}, {}, k::Select{{}});", c.in(0), c.in(1), c.in(2), c.out(0), p);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(And, infer_compare<kBools>, (eval_binary_op<kBools, kernels::And, true>), emit_named<kAnd>)
KILN_DEFINE_OP(Equal, infer_compare<kEquatable>, (eval_binary_op<kEquatable, kernels::Equal, true>), emit_named<kEqual>)
KILN_DEFINE_OP(Greater, infer_compare<kOrdered>, (eval_binary_op<kOrdered, kernels::Greater, true>), emit_named<kGreater>)
KILN_DEFINE_OP(GreaterOrEqual, infer_compare<kOrdered>, (eval_binary_op<kOrdered, kernels::GreaterOrEqual, true>),
               emit_named<kGreaterOrEqual>)
KILN_DEFINE_OP(IsInf, infer_isinf, eval_isinf, emit_isinf)
KILN_DEFINE_OP(IsNaN, infer_float_predicate, eval_isnan, emit_isnan)
KILN_DEFINE_OP(Less, infer_compare<kOrdered>, (eval_binary_op<kOrdered, kernels::Less, true>), emit_named<kLess>)
KILN_DEFINE_OP(LessOrEqual, infer_compare<kOrdered>, (eval_binary_op<kOrdered, kernels::LessOrEqual, true>),
               emit_named<kLessOrEqual>)
KILN_DEFINE_OP(Not, infer_not, eval_not, emit_not)
KILN_DEFINE_OP(Or, infer_compare<kBools>, (eval_binary_op<kBools, kernels::Or, true>), emit_named<kOr>)
KILN_DEFINE_OP(Where, infer_where, eval_where, emit_where)
KILN_DEFINE_OP(Xor, infer_compare<kBools>, (eval_binary_op<kBools, kernels::Xor, true>), emit_named<kXor>)
