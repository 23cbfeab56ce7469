// Shared by the elementwise families (elementwise*.cpp, activation.cpp, logic.cpp): the element types an
// op accepts, and infer/eval/emit for ops that map a kernel functor over one input or broadcast inputs.
// float16/bfloat16 tensors are computed in float through kernels::OnF16 / OnBF16.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "backends/common/emit_context.h"
#include "backends/portable/kernels/elementwise.h"
#include "backends/portable/kernels/float16.h"
#include "ops/broadcast.h"
#include "ops/dispatch.h"
#include "ops/op_context.h"

namespace kiln {

// Element-type sets, as bit flags so an op lists exactly what it accepts.
enum TypeSet : unsigned {
    kFloats = 1u,      // f32, f64
    kHalfFloats = 2u,  // f16, bf16 (computed in float)
    kSignedInts = 4u,
    kUnsignedInts = 8u,
    kBools = 16u,
    kAnyFloat = kFloats | kHalfFloats,
    kSignedNumeric = kAnyFloat | kSignedInts,
    kNumeric = kSignedNumeric | kUnsignedInts,
};

bool type_in_set(DType t, unsigned set);

// Adapts a functor to a tensor's storage type: unchanged, or through float for 16-bit float patterns.
struct Direct {
    template <typename F> F operator()(F f) const { return f; }
};
struct ViaF16 {
    template <typename F> kernels::OnF16<F> operator()(F f) const { return {f}; }
};
struct ViaBF16 {
    template <typename F> kernels::OnBF16<F> operator()(F f) const { return {f}; }
};

// Calls fn(TypeTag<Storage>{}, adapter) for t when t is in SET; false otherwise. Only the types of SET
// are instantiated, so a functor need not compile for the others.
template <unsigned SET, typename Fn>
bool dispatch_map(DType t, Fn&& fn) {
    switch (t) {
    case DType::Float32: if constexpr ((SET & kFloats) != 0) { fn(TypeTag<float>{}, Direct{}); return true; } break;
    case DType::Float64: if constexpr ((SET & kFloats) != 0) { fn(TypeTag<double>{}, Direct{}); return true; } break;
    case DType::Float16: if constexpr ((SET & kHalfFloats) != 0) { fn(TypeTag<uint16_t>{}, ViaF16{}); return true; } break;
    case DType::BFloat16: if constexpr ((SET & kHalfFloats) != 0) { fn(TypeTag<uint16_t>{}, ViaBF16{}); return true; } break;
    case DType::Int8: if constexpr ((SET & kSignedInts) != 0) { fn(TypeTag<int8_t>{}, Direct{}); return true; } break;
    case DType::Int16: if constexpr ((SET & kSignedInts) != 0) { fn(TypeTag<int16_t>{}, Direct{}); return true; } break;
    case DType::Int32: if constexpr ((SET & kSignedInts) != 0) { fn(TypeTag<int32_t>{}, Direct{}); return true; } break;
    case DType::Int64: if constexpr ((SET & kSignedInts) != 0) { fn(TypeTag<int64_t>{}, Direct{}); return true; } break;
    case DType::UInt8: if constexpr ((SET & kUnsignedInts) != 0) { fn(TypeTag<uint8_t>{}, Direct{}); return true; } break;
    case DType::UInt16: if constexpr ((SET & kUnsignedInts) != 0) { fn(TypeTag<uint16_t>{}, Direct{}); return true; } break;
    case DType::UInt32: if constexpr ((SET & kUnsignedInts) != 0) { fn(TypeTag<uint32_t>{}, Direct{}); return true; } break;
    case DType::UInt64: if constexpr ((SET & kUnsignedInts) != 0) { fn(TypeTag<uint64_t>{}, Direct{}); return true; } break;
    case DType::Bool: if constexpr ((SET & kBools) != 0) { fn(TypeTag<bool>{}, Direct{}); return true; } break;
    default: break;
    }
    return false;
}

// The functor as generated code writes it for elements of type t, e.g. "k::Elu{1.0f}" or, for float16,
// "k::OnF16<k::Elu>{k::Elu{1.0f}}" (and marks float16.h as used). `name` is the kernels:: struct.
std::string functor_expr(EmitCtx& c, DType t, const std::string& name, const std::string& init = "{}");

// ---- unary maps: y = f(x), same shape; output dtype = input dtype unless given -----------------------

Status infer_unary(InferCtx& c, unsigned set, DType out = DType::Undefined);

template <unsigned SET>
Status infer_unary_in(InferCtx& c) { return infer_unary(c, SET); }

Status type_error(NodeCtx& c, std::size_t input);

template <unsigned SET, typename F>
Status eval_unary(EvalCtx& c, F f) {
    bool ok = dispatch_map<SET>(c.in(0).dtype(), [&](auto tag, auto adapt) {
        using T = typename decltype(tag)::type;
        kernels::unary(c.in(0).data<T>(), c.out(0).data<T>(), c.in(0).numel(), adapt(f));
    });
    return ok ? Status::ok() : type_error(c, 0);
}

template <unsigned SET, typename F>
Status eval_unary_op(EvalCtx& c) { return eval_unary<SET>(c, F{}); }

// k::unary(x, y, n, <functor>) with the functor adapted to the input's element type.
Status emit_unary(EmitCtx& c, const std::string& name, const std::string& init = "{}");

// ---- binary maps with numpy broadcasting (and the opset < 7 `broadcast`/`axis` form) ---------------

// Shape of input i as it broadcasts against input 0: opset < 7 aligns input 1 at attribute `axis`.
Shape broadcast_input_shape(NodeCtx& c, std::size_t i);
// Broadcast parameters for the node's output and its (up to three) inputs.
kernels::BroadcastParams node_broadcast_params(NodeCtx& c);

// Both inputs of one type in `set`; output of `out` type (Undefined: the input type), broadcast shape.
Status infer_binary(InferCtx& c, unsigned set, DType out = DType::Undefined);

template <unsigned SET>
Status infer_binary_in(InferCtx& c) { return infer_binary(c, SET); }

// Binary kernel over inputs of the same type; the output is of that type, or bool when BOOL_OUT.
template <unsigned SET, bool BOOL_OUT = false, typename F>
Status eval_binary(EvalCtx& c, F f) {
    kernels::BroadcastParams p = node_broadcast_params(c);
    bool ok = dispatch_map<SET>(c.in(0).dtype(), [&](auto tag, auto adapt) {
        using T = typename decltype(tag)::type;
        using TO = std::conditional_t<BOOL_OUT, bool, T>;
        kernels::binary(c.in(0).data<T>(), c.in(1).data<T>(), c.out(0).data<TO>(), p, adapt(f));
    });
    return ok ? Status::ok() : type_error(c, 0);
}

template <unsigned SET, typename F, bool BOOL_OUT = false>
Status eval_binary_op(EvalCtx& c) { return eval_binary<SET, BOOL_OUT>(c, F{}); }

// k::binary(a, b, y, params, <functor>) with the functor adapted to input 0's element type.
Status emit_binary(EmitCtx& c, const std::string& name, const std::string& init = "{}");

}  // namespace kiln
