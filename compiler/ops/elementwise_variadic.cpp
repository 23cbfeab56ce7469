// Variadic elementwise ops with broadcasting over all inputs: Max, Min, Sum, Mean. They fold the inputs
// pairwise into the output (y = f(x0, x1), then y = f(y, xk)); Mean divides the sum at the end.
// Kernels: backends/portable/kernels/elementwise.h.
#include <cstring>

#include "ops/elementwise.h"
#include "ops/registry.h"

namespace kiln {
namespace {

template <unsigned SET>
Status infer_variadic(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1u << 20));
    const DType t = c.in_dtype(0);
    if (!type_in_set(t, SET)) return type_error(c, 0);
    std::vector<Shape> shapes;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        if (!c.has_input(i)) return c.fail("input {} is missing", i);
        if (c.in_dtype(i) != t)
            return c.fail("input {} has type {}, expected {} like input 0", i, dtype_name(c.in_dtype(i)), dtype_name(t));
        shapes.push_back(c.in_shape(i));
    }
    Shape out;
    if (!broadcast_shapes(shapes, &out)) return c.fail("the input shapes do not broadcast together");
    c.set_output(0, t, out);
    return c.status();
}

// Broadcast parameters of step k: (x0, x1) for k = 1, then (y, xk).
kernels::BroadcastParams step_params(NodeCtx& c, std::size_t k) {
    const Shape& out = c.out_shape(0);
    return make_broadcast_params(out, {k == 1 ? c.in_shape(0) : out, c.in_shape(k)});
}

template <unsigned SET, typename F>
Status eval_variadic(EvalCtx& c, F f, bool mean) {
    bool ok = dispatch_map<SET>(c.in(0).dtype(), [&](auto tag, auto adapt) {
        using T = typename decltype(tag)::type;
        T* y = c.out(0).data<T>();
        if (c.num_inputs() == 1) {
            std::memcpy(y, c.in(0).data<T>(), c.out(0).nbytes());
            return;
        }
        for (std::size_t k = 1; k < c.num_inputs(); ++k) {
            const T* a = k == 1 ? c.in(0).data<T>() : y;
            kernels::binary(a, c.in(k).data<T>(), y, step_params(c, k), adapt(f));
        }
        if (mean) kernels::unary(y, y, c.out(0).numel(), adapt(kernels::DivideBy{double(c.num_inputs())}));
    });
    return ok ? Status::ok() : type_error(c, 0);
}

Status emit_variadic(EmitCtx& c, const std::string& name, bool mean) {
    c.use_kernel("portable/elementwise.h");
    const DType t = c.in_dtype(0);
    if (c.num_inputs() == 1) {
        c.call("std::memcpy({}, {}, {});", c.out(0), c.in(0), c.output(0).nbytes());
        return Status::ok();
    }
    for (std::size_t k = 1; k < c.num_inputs(); ++k) {
        std::string p = c.define_params("k::BroadcastParams", c_broadcast_params(step_params(c, k)), fmt::format("p{}", k));
        c.call("k::binary({}, {}, {}, {}, {});", k == 1 ? c.in(0) : c.out(0), c.in(k), c.out(0), p,
               functor_expr(c, t, name));
    }
    if (mean)
        c.call("k::unary({}, {}, {}, {});", c.out(0), c.out(0), c.output(0).numel(),
               functor_expr(c, t, "DivideBy", fmt::format("{{{}.0}}", c.num_inputs())));
    return Status::ok();
}

constexpr unsigned kMaxMinTypes = kNumeric;
constexpr unsigned kSumTypes = kAnyFloat;

Status eval_max(EvalCtx& c) { return eval_variadic<kMaxMinTypes>(c, kernels::Max(), false); }
Status eval_min(EvalCtx& c) { return eval_variadic<kMaxMinTypes>(c, kernels::Min(), false); }
Status eval_sum(EvalCtx& c) { return eval_variadic<kSumTypes>(c, kernels::Add(), false); }
Status eval_mean(EvalCtx& c) { return eval_variadic<kSumTypes>(c, kernels::Add(), true); }
Status emit_max(EmitCtx& c) { return emit_variadic(c, "Max", false); }
Status emit_min(EmitCtx& c) { return emit_variadic(c, "Min", false); }
Status emit_sum(EmitCtx& c) { return emit_variadic(c, "Add", false); }
Status emit_mean(EmitCtx& c) { return emit_variadic(c, "Add", true); }

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Max, infer_variadic<kMaxMinTypes>, eval_max, emit_max)
KILN_DEFINE_OP(Mean, infer_variadic<kSumTypes>, eval_mean, emit_mean)
KILN_DEFINE_OP(Min, infer_variadic<kMaxMinTypes>, eval_min, emit_min)
KILN_DEFINE_OP(Sum, infer_variadic<kSumTypes>, eval_sum, emit_sum)
