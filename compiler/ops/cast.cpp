// Cast and CastLike between every numeric type, bool, float16 and bfloat16 (string casts are rejected).
// Kernels: backends/portable/kernels/cast.h (conversion functors over elementwise.h's unary map).
#include <cstring>

#include "backends/portable/kernels/cast.h"
#include "ops/elementwise.h"
#include "ops/registry.h"

namespace kiln {
namespace {

constexpr unsigned kPlain = kFloats | kSignedInts | kUnsignedInts | kBools;

// How one element converts; eval and emit both choose by this, so they run the same functor.
enum class CastKind { Copy, Plain, FromF16, FromBF16, ToF16, ToBF16, F16ToBF16, BF16ToF16 };

CastKind cast_kind(DType from, DType to) {
    if (from == to) return CastKind::Copy;
    const bool from16 = from == DType::Float16, fromb = from == DType::BFloat16;
    if (from16 && to == DType::BFloat16) return CastKind::F16ToBF16;
    if (fromb && to == DType::Float16) return CastKind::BF16ToF16;
    if (from16) return CastKind::FromF16;
    if (fromb) return CastKind::FromBF16;
    if (to == DType::Float16) return CastKind::ToF16;
    if (to == DType::BFloat16) return CastKind::ToBF16;
    return CastKind::Plain;
}

Status check_castable(NodeCtx& c, DType t, const char* what) {
    if (t == DType::String) return c.fail("{} type string is not supported (Kiln has no string tensors)", what);
    if (!dtype_supported(t)) return c.fail("{} type {} is not supported", what, dtype_name(t));
    return Status::ok();
}

DType cast_target(NodeCtx& c) {
    if (c.node().op_type == "CastLike") return c.in_dtype(1);
    return dtype_from_onnx(int(c.attr_int("to", 0)));
}

Status infer_cast(InferCtx& c) {
    const bool like = c.node().op_type == "CastLike";
    KILN_TRY(c.require_inputs(like ? 2 : 1, like ? 2 : 1));
    if (!like && !c.has_attr("to")) return c.fail("attribute 'to' is required");
    if (!like && cast_target(c) == DType::Undefined)
        return c.fail("attribute to={} is not a known data type", c.attr_int("to", 0));
    KILN_TRY(check_castable(c, c.in_dtype(0), "input"));
    KILN_TRY(check_castable(c, cast_target(c), "target"));
    c.set_output(0, cast_target(c), c.in_shape(0));
    return c.status();
}

template <typename F>
bool unary_to_plain(EvalCtx& c, F make) {
    return dispatch_map<kPlain>(c.out(0).dtype(), [&](auto to, auto) {
        using TO = typename decltype(to)::type;
        kernels::unary(c.in(0).data<uint16_t>(), c.out(0).data<TO>(), c.in(0).numel(), make(to));
    });
}

template <typename F>
bool unary_from_plain(EvalCtx& c, F f) {
    return dispatch_map<kPlain>(c.in(0).dtype(), [&](auto from, auto) {
        using TI = typename decltype(from)::type;
        kernels::unary(c.in(0).data<TI>(), c.out(0).data<uint16_t>(), c.in(0).numel(), f);
    });
}

Status eval_cast(EvalCtx& c) {
    const Tensor& x = c.in(0);
    Tensor& y = c.out(0);
    const int64_t n = x.numel();
    bool ok = true;
    switch (cast_kind(x.dtype(), y.dtype())) {
    case CastKind::Copy: std::memcpy(y.raw(), x.raw(), x.nbytes()); break;
    case CastKind::F16ToBF16: kernels::unary(x.data<uint16_t>(), y.data<uint16_t>(), n, kernels::F16ToBF16()); break;
    case CastKind::BF16ToF16: kernels::unary(x.data<uint16_t>(), y.data<uint16_t>(), n, kernels::BF16ToF16()); break;
    case CastKind::FromF16:
        ok = unary_to_plain(c, [](auto to) { return kernels::F16To<typename decltype(to)::type>(); });
        break;
    case CastKind::FromBF16:
        ok = unary_to_plain(c, [](auto to) { return kernels::BF16To<typename decltype(to)::type>(); });
        break;
    case CastKind::ToF16: ok = unary_from_plain(c, kernels::ToF16()); break;
    case CastKind::ToBF16: ok = unary_from_plain(c, kernels::ToBF16()); break;
    case CastKind::Plain:
        ok = dispatch_map<kPlain>(x.dtype(), [&](auto from, auto) {
            using TI = typename decltype(from)::type;
            dispatch_map<kPlain>(y.dtype(), [&](auto to, auto) {
                using TO = typename decltype(to)::type;
                kernels::unary(x.data<TI>(), y.data<TO>(), n, kernels::CastTo<TO>());
            });
        });
        break;
    }
    return ok ? Status::ok() : c.fail("cast from {} to {} is not supported", dtype_name(x.dtype()), dtype_name(y.dtype()));
}

Status emit_cast(EmitCtx& c) {
    const DType from = c.in_dtype(0), to = c.out_dtype(0);
    const CastKind kind = cast_kind(from, to);
    // CastLike reads only the type of its second input; its buffer may be an otherwise unused parameter.
    if (c.num_inputs() > 1) c.call("static_cast<void>({});", c.in(1));
    if (kind == CastKind::Copy) {
        c.use_kernel("portable/common.h");  // generated code aliases kiln::kernels even when only copying
        c.call("std::memcpy({}, {}, {});", c.out(0), c.in(0), c.output(0).nbytes());
        return Status::ok();
    }
    c.use_kernel("portable/cast.h");
    std::string f;
    switch (kind) {
    case CastKind::Plain: f = fmt::format("k::CastTo<{}>{{}}", c.out_ctype(0)); break;
    case CastKind::FromF16: f = fmt::format("k::F16To<{}>{{}}", c.out_ctype(0)); break;
    case CastKind::FromBF16: f = fmt::format("k::BF16To<{}>{{}}", c.out_ctype(0)); break;
    case CastKind::ToF16: f = "k::ToF16{}"; break;
    case CastKind::ToBF16: f = "k::ToBF16{}"; break;
    case CastKind::F16ToBF16: f = "k::F16ToBF16{}"; break;
    case CastKind::BF16ToF16: f = "k::BF16ToF16{}"; break;
    case CastKind::Copy: break;
    }
    c.call("k::unary({}, {}, {}, {});", c.in(0), c.out(0), c.input(0).numel(), f);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Cast, infer_cast, eval_cast, emit_cast)
KILN_DEFINE_OP(CastLike, infer_cast, eval_cast, emit_cast)
