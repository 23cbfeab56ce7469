// Elementwise arithmetic with broadcasting: Add, Sub, Mul, Div, Pow, Mod, BitShift, plus Relu and Sigmoid,
// and the shared infer/eval/emit of every functor-mapping family (declared in ops/elementwise.h).
// Kernels: backends/portable/kernels/elementwise.h.
#include "ops/elementwise.h"

#include "backends/common/c_literals.h"
#include "ops/registry.h"

namespace kiln {

// ---- shared helpers ---------------------------------------------------------------------------------

bool type_in_set(DType t, unsigned set) {
    switch (t) {
    case DType::Float32:
    case DType::Float64: return (set & kFloats) != 0;
    case DType::Float16:
    case DType::BFloat16: return (set & kHalfFloats) != 0;
    case DType::Int8:
    case DType::Int16:
    case DType::Int32:
    case DType::Int64: return (set & kSignedInts) != 0;
    case DType::UInt8:
    case DType::UInt16:
    case DType::UInt32:
    case DType::UInt64: return (set & kUnsignedInts) != 0;
    case DType::Bool: return (set & kBools) != 0;
    default: return false;
    }
}

Status type_error(NodeCtx& c, std::size_t input) {
    return c.fail("input {} '{}' has type {}, which this operator does not support", input, c.input(input).name,
                  dtype_name(c.in_dtype(input)));
}

std::string functor_expr(EmitCtx& c, DType t, const std::string& name, const std::string& init) {
    std::string f = "k::" + name + init;
    if (t == DType::Float16 || t == DType::BFloat16) {
        c.use_kernel("portable/float16.h");
        const char* via = t == DType::Float16 ? "OnF16" : "OnBF16";
        return fmt::format("k::{}<k::{}>{{{}}}", via, name, f);
    }
    return f;
}

Status infer_unary(InferCtx& c, unsigned set, DType out) {
    KILN_TRY(c.require_inputs(1, 1));
    if (!type_in_set(c.in_dtype(0), set)) return type_error(c, 0);
    c.set_output(0, out == DType::Undefined ? c.in_dtype(0) : out, c.in_shape(0));
    return c.status();
}

Status emit_unary(EmitCtx& c, const std::string& name, const std::string& init) {
    c.use_kernel("portable/elementwise.h");
    c.call("k::unary({}, {}, {}, {});", c.in(0), c.out(0), c.input(0).numel(),
           functor_expr(c, c.in_dtype(0), name, init));
    return Status::ok();
}

Shape broadcast_input_shape(NodeCtx& c, std::size_t i) {
    const Shape& s = c.in_shape(i);
    // Before opset 7, binary ops broadcast only with broadcast=1, aligning input 1 at `axis` of input 0
    // (by default at the trailing dims, as numpy does).
    if (c.opset() >= 7 || i != 1 || c.attr_int("broadcast", 0) == 0) return s;
    const int64_t rank = int64_t(c.in_shape(0).size());
    int64_t axis = c.attr_int("axis", rank - int64_t(s.size()));
    if (axis < 0) axis += rank;
    if (axis < 0 || axis + int64_t(s.size()) > rank) {
        c.fail("input 1 of shape {} cannot be aligned at axis {} of rank {}", shape_str(s), axis, rank);
        return s;
    }
    Shape aligned(std::size_t(axis), 1);
    aligned.insert(aligned.end(), s.begin(), s.end());
    aligned.resize(std::size_t(rank), 1);
    return aligned;
}

kernels::BroadcastParams node_broadcast_params(NodeCtx& c) {
    std::vector<Shape> ins;
    for (std::size_t i = 0; i < c.num_inputs() && i < 3; ++i) ins.push_back(broadcast_input_shape(c, i));
    return make_broadcast_params(c.out_shape(0), ins);
}

Status infer_binary(InferCtx& c, unsigned set, DType out) {
    KILN_TRY(c.require_inputs(2, 2));
    DType t = c.in_dtype(0);
    if (c.in_dtype(1) != t)
        return c.fail("inputs have different types {} and {}", dtype_name(t), dtype_name(c.in_dtype(1)));
    if (!type_in_set(t, set)) return type_error(c, 0);
    Shape a = c.in_shape(0), b = broadcast_input_shape(c, 1), shape;
    KILN_TRY(c.status());
    if (c.opset() < 7 && c.attr_int("broadcast", 0) == 0 && a != b)
        return c.fail("shapes {} and {} differ and attribute broadcast is 0", shape_str(a), shape_str(b));
    if (!broadcast_shapes({a, b}, &shape))
        return c.fail("shapes {} and {} do not broadcast", shape_str(a), shape_str(b));
    c.set_output(0, out == DType::Undefined ? t : out, shape);
    return c.status();
}

Status emit_binary(EmitCtx& c, const std::string& name, const std::string& init) {
    c.use_kernel("portable/elementwise.h");
    std::string p = c.define_params("k::BroadcastParams", c_broadcast_params(node_broadcast_params(c)));
    c.call("k::binary({}, {}, {}, {}, {});", c.in(0), c.in(1), c.out(0), p,
           functor_expr(c, c.in_dtype(0), name, init));
    return Status::ok();
}

namespace {

// ---- Pow: the exponent may have another numeric type than the base ---------------------------------

Status infer_pow(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    DType t = c.in_dtype(0), e = c.in_dtype(1);
    if (!type_in_set(t, kNumeric & ~kHalfFloats) && !(t == DType::Float16 && e == DType::Float16))
        return type_error(c, 0);
    if (!type_in_set(e, kNumeric & ~kHalfFloats) && !(t == DType::Float16 && e == DType::Float16))
        return type_error(c, 1);
    Shape a = c.in_shape(0), b = broadcast_input_shape(c, 1), shape;
    KILN_TRY(c.status());
    if (!broadcast_shapes({a, b}, &shape))
        return c.fail("shapes {} and {} do not broadcast", shape_str(a), shape_str(b));
    c.set_output(0, t, shape);
    return c.status();
}

Status eval_pow(EvalCtx& c) {
    if (c.in(0).dtype() == DType::Float16) return eval_binary<kHalfFloats>(c, kernels::Pow());
    kernels::BroadcastParams p = node_broadcast_params(c);
    constexpr unsigned kSet = kNumeric & ~kHalfFloats;
    bool ok = dispatch_map<kSet>(c.in(0).dtype(), [&](auto base, auto) {
        using T = typename decltype(base)::type;
        dispatch_map<kSet>(c.in(1).dtype(), [&](auto exponent, auto) {
            using E = typename decltype(exponent)::type;
            kernels::binary(c.in(0).data<T>(), c.in(1).data<E>(), c.out(0).data<T>(), p, kernels::Pow());
        });
    });
    return ok ? Status::ok() : type_error(c, 0);
}

Status emit_pow(EmitCtx& c) { return emit_binary(c, "Pow"); }

// ---- Mod ----------------------------------------------------------------------------------------------

bool mod_is_fmod(NodeCtx& c) { return c.attr_int("fmod", 0) != 0; }

Status infer_mod(InferCtx& c) {
    KILN_TRY(infer_binary(c, kNumeric));
    if (!mod_is_fmod(c) && dtype_is_float(c.in_dtype(0)))
        return c.fail("fmod=0 is not allowed for floating-point inputs (ONNX requires fmod=1)");
    return c.status();
}

Status eval_mod(EvalCtx& c) {
    if (mod_is_fmod(c)) return eval_binary<kNumeric>(c, kernels::FMod());
    return eval_binary<kSignedInts | kUnsignedInts>(c, kernels::Mod());
}

Status emit_mod(EmitCtx& c) { return emit_binary(c, mod_is_fmod(c) ? "FMod" : "Mod"); }

// ---- BitShift -------------------------------------------------------------------------------------------

Expected<bool> shift_left(NodeCtx& c) {
    std::string d = c.attr_string("direction", "");
    if (d == "LEFT") return true;
    if (d == "RIGHT") return false;
    return c.fail("attribute direction='{}' is not LEFT or RIGHT", d);
}

Status infer_bitshift(InferCtx& c) {
    KILN_TRY(infer_binary(c, kUnsignedInts));
    return shift_left(c).status();
}

Status eval_bitshift(EvalCtx& c) {
    Expected<bool> left = shift_left(c);
    if (!left) return left.status();
    return *left ? eval_binary<kUnsignedInts>(c, kernels::ShiftLeft()) : eval_binary<kUnsignedInts>(c, kernels::ShiftRight());
}

Status emit_bitshift(EmitCtx& c) {
    Expected<bool> left = shift_left(c);
    if (!left) return left.status();
    return emit_binary(c, *left ? "ShiftLeft" : "ShiftRight");
}

Status emit_add(EmitCtx& c) { return emit_binary(c, "Add"); }
Status emit_sub(EmitCtx& c) { return emit_binary(c, "Sub"); }
Status emit_mul(EmitCtx& c) { return emit_binary(c, "Mul"); }
Status emit_div(EmitCtx& c) { return emit_binary(c, "Div"); }
Status emit_relu(EmitCtx& c) { return emit_unary(c, "Relu"); }
Status emit_sigmoid(EmitCtx& c) { return emit_unary(c, "Sigmoid"); }

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP_INPLACE(Add, infer_binary_in<kNumeric>, (eval_binary_op<kNumeric, kernels::Add>), emit_add, inplace_binary)
KILN_DEFINE_OP(BitShift, infer_bitshift, eval_bitshift, emit_bitshift)
KILN_DEFINE_OP_INPLACE(Div, infer_binary_in<kNumeric>, (eval_binary_op<kNumeric, kernels::Div>), emit_div, inplace_binary)
KILN_DEFINE_OP(Mod, infer_mod, eval_mod, emit_mod)
KILN_DEFINE_OP_INPLACE(Mul, infer_binary_in<kNumeric>, (eval_binary_op<kNumeric, kernels::Mul>), emit_mul, inplace_binary)
KILN_DEFINE_OP_INPLACE(Pow, infer_pow, eval_pow, emit_pow, inplace_binary)
KILN_DEFINE_OP_INPLACE(Relu, infer_unary_in<kSignedNumeric>, (eval_unary_op<kSignedNumeric, kernels::Relu>), emit_relu, inplace_unary)
KILN_DEFINE_OP_INPLACE(Sigmoid, infer_unary_in<kAnyFloat>, (eval_unary_op<kAnyFloat, kernels::Sigmoid>), emit_sigmoid, inplace_unary)
KILN_DEFINE_OP_INPLACE(Sub, infer_binary_in<kNumeric>, (eval_binary_op<kNumeric, kernels::Sub>), emit_sub, inplace_binary)
