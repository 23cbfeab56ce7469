// Pooling: MaxPool (with the optional Indices output), AveragePool, LpPool and their Global forms,
// over 1-D to 3-D windows (global pooling over any number of spatial dims), and MaxUnpool.
// Kernels: portable/pool.h.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/pool.h"
#include "ops/dispatch.h"
#include "ops/pool_plan.h"
#include "ops/registry.h"
#include "ops/sliding_window.h"

namespace kiln {
namespace {

Status check_input(NodeCtx& c, PoolKind kind) {
    DType t = c.in_dtype(0);
    bool ok = t == DType::Float32 || t == DType::Float64;
    // MaxPool only compares, so it also takes 8-bit integers (opset 12).
    if (kind == PoolKind::Max) ok = ok || t == DType::Int8 || t == DType::UInt8;
    if (!ok) return c.fail("input has type {}, which is not supported", dtype_name(t));
    if (c.in_shape(0).size() < 2)
        return c.fail("input has shape {}, expected N x C x spatial dims", shape_str(c.in_shape(0)));
    return Status::ok();
}

// LpPool's p was a float before opset 2 and an int since.
Status read_p(NodeCtx& c, float* p) {
    *p = c.opset() < 2 ? c.attr_float("p", 2.0f) : float(c.attr_int("p", 2));
    KILN_TRY(c.status());
    if (!(*p > 0)) return c.fail("attribute p={} is not positive", *p);
    return Status::ok();
}

// Windowed pooling: every attribute of MaxPool, AveragePool and LpPool is read here (infer must read
// all of them, and eval/emit recompute the same plan).
Status make_pool(NodeCtx& c, PoolKind kind, PoolPlan* plan) {
    KILN_TRY(check_input(c, kind));
    const Shape& x = c.in_shape(0);
    std::vector<int64_t> kernel = c.attr_ints("kernel_shape");
    KILN_TRY(c.status());
    if (!c.has_attr("kernel_shape")) return c.fail("attribute 'kernel_shape' is required");
    bool ceil_mode = false;
    if (kind != PoolKind::Lp) ceil_mode = c.attr_int("ceil_mode", 0) != 0;
    WindowGeometry g;
    KILN_TRY(forward_window(c, x, kernel, ceil_mode, &g));
    kernels::PoolParams& p = plan->params;
    p.planes = x[0] * x[1];
    p.win = to_kernel_window(g);
    const int lead = kernels::kWindowDims - g.rank();
    for (int d = 0; d < kernels::kWindowDims; ++d) p.pad_end[d] = d < lead ? 0 : g.pad_end[std::size_t(d - lead)];
    p.p = 2.0f;
    if (kind == PoolKind::Average) p.count_include_pad = int32_t(c.attr_int("count_include_pad", 0) != 0);
    if (kind == PoolKind::Lp) KILN_TRY(read_p(c, &p.p));
    if (kind == PoolKind::Max) {
        int64_t order = c.attr_int("storage_order", 0);
        if (order != 0 && order != 1) return c.fail("attribute storage_order={} is not 0 or 1", order);
        p.column_major_indices = int32_t(order);
    }
    KILN_TRY(c.status());
    plan->out = {x[0], x[1]};
    plan->out.insert(plan->out.end(), g.out.begin(), g.out.end());
    return Status::ok();
}

// Global pooling is one window over all spatial dims, run as a 1-D window over their flattened size.
Status make_global_pool(NodeCtx& c, PoolKind kind, PoolPlan* plan) {
    KILN_TRY(check_input(c, kind));
    const Shape& x = c.in_shape(0);
    const int64_t size = shape_numel(Shape(x.begin() + 2, x.end()));
    if (size == 0) return c.fail("input of shape {} has no spatial elements", shape_str(x));
    kernels::PoolParams& p = plan->params;
    p.planes = x[0] * x[1];
    p.win = kernels::Window{{1, 1, size}, {1, 1, 1}, {1, 1, size}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}};
    p.p = 2.0f;
    if (kind == PoolKind::Lp) KILN_TRY(read_p(c, &p.p));
    plan->out = Shape(x.size(), 1);
    plan->out[0] = x[0];
    plan->out[1] = x[1];
    return Status::ok();
}

}  // namespace

std::string c_pool_params(const kernels::PoolParams& p) {
    return fmt::format("{{{}, {}, {{{}, {}, {}}}, {}, {}, {}}}", p.planes, c_window(p.win), p.pad_end[0], p.pad_end[1],
                       p.pad_end[2], p.count_include_pad, p.column_major_indices, c_float(p.p));
}

Status make_pool_plan(NodeCtx& c, PoolKind kind, bool global, PoolPlan* plan) {
    return global ? make_global_pool(c, kind, plan) : make_pool(c, kind, plan);
}

namespace {

Status make_plan(NodeCtx& c, PoolKind kind, bool global, PoolPlan* plan) { return make_pool_plan(c, kind, global, plan); }

template <PoolKind K, bool Global>
Status infer_pool(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    PoolPlan plan;
    KILN_TRY(make_plan(c, K, Global, &plan));
    if (c.num_outputs() > 1 && (K != PoolKind::Max || Global)) return c.fail("expected 1 output");
    if (c.num_outputs() > 2) return c.fail("expected at most 2 outputs");
    c.set_output(0, c.in_dtype(0), plan.out);
    if (c.has_output(1)) c.set_output(1, DType::Int64, plan.out);
    return c.status();
}

template <PoolKind K, bool Global>
Status eval_pool(EvalCtx& c) {
    PoolPlan plan;
    KILN_TRY(make_plan(c, K, Global, &plan));
    const Tensor& x = c.in(0);
    Tensor& y = c.out(0);
    bool ok = false;
    if (K == PoolKind::Max) {
        int64_t* indices = c.has_out(1) ? c.out(1).data<int64_t>() : nullptr;
        ok = dispatch_numeric(x.dtype(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            kernels::max_pool(x.data<T>(), y.data<T>(), indices, plan.params);
        });
    } else {
        ok = dispatch_float(x.dtype(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if (K == PoolKind::Average) kernels::avg_pool(x.data<T>(), y.data<T>(), plan.params);
            else kernels::lp_pool(x.data<T>(), y.data<T>(), plan.params);
        });
    }
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(x.dtype()));
}

template <PoolKind K, bool Global>
Status emit_pool(EmitCtx& c) {
    PoolPlan plan;
    KILN_TRY(make_plan(c, K, Global, &plan));
    c.use_kernel("portable/pool.h");
    std::string p = c.define_params("k::PoolParams", c_pool_params(plan.params));
    if (K == PoolKind::Max) {
        std::string indices = c.has_output(1) ? c.out(1) : "static_cast<int64_t*>(nullptr)";
        c.call("k::max_pool({}, {}, {}, {});", c.in(0), c.out(0), indices, p);
    } else {
        c.call("k::{}({}, {}, {});", K == PoolKind::Average ? "avg_pool" : "lp_pool", c.in(0), c.out(0), p);
    }
    return Status::ok();
}

// ---- MaxUnpool ----------------------------------------------------------------------------------

struct UnpoolPlan {
    kernels::UnpoolParams params{};
    Shape out;
};

// The default output is the MaxPool input the window geometry implies; output_shape (a constant)
// may ask for another one.
Status make_max_unpool(NodeCtx& c, UnpoolPlan* plan) {
    DType t = c.in_dtype(0);
    if (t != DType::Float32 && t != DType::Float64)
        return c.fail("input X has type {}, which is not supported", dtype_name(t));
    if (c.in_dtype(1) != DType::Int64) return c.fail("input I has type {}, expected i64", dtype_name(c.in_dtype(1)));
    const Shape& x = c.in_shape(0);
    if (c.in_shape(1) != x)
        return c.fail("indices of shape {} do not match X {}", shape_str(c.in_shape(1)), shape_str(x));
    const int rank = int(x.size()) - 2;
    if (rank < 1 || int(x.size()) > kernels::kMaxRank)
        return c.fail("input of shape {} is not supported", shape_str(x));
    std::vector<int64_t> kernel = c.attr_ints("kernel_shape");
    std::vector<int64_t> strides, pads = c.attr_ints("pads", std::vector<int64_t>(std::size_t(2 * rank), 0));
    KILN_TRY(c.status());
    if (int(kernel.size()) != rank) return c.fail("attribute 'kernel_shape' needs {} values", rank);
    if (int(pads.size()) != 2 * rank)
        return c.fail("attribute 'pads' has {} values, expected {}", pads.size(), 2 * rank);
    KILN_TRY(per_dim_attr(c, "strides", rank, 1, &strides));
    Shape from = {x[0], x[1]};
    for (std::size_t d = 0; d < std::size_t(rank); ++d)
        from.push_back((x[d + 2] - 1) * strides[d] + kernel[d] - pads[d] - pads[d + std::size_t(rank)]);
    plan->out = from;
    if (c.has_input(2)) {
        const Tensor* shape = c.const_input(2);
        if (!shape)
            return c.fail("input 2 (output_shape) must be a compile-time constant: Kiln fixes shapes when compiling");
        plan->out = shape->to_int64_vector();
        if (plan->out.size() != x.size())
            return c.fail("output_shape has {} values, expected {}", plan->out.size(), x.size());
    }
    for (std::size_t d = 0; d < from.size(); ++d)
        if (from[d] < 1 || plan->out[d] < 0) return c.fail("output shape {} is not valid", shape_str(plan->out));
    kernels::UnpoolParams& p = plan->params;
    p.rank = int32_t(x.size());
    p.count = shape_numel(x);
    for (std::size_t d = 0; d < x.size(); ++d) {
        p.from[d] = from[d];
        p.to[d] = plan->out[d];
    }
    return Status::ok();
}

Status infer_max_unpool(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 3));
    UnpoolPlan plan;
    KILN_TRY(make_max_unpool(c, &plan));
    c.set_output(0, c.in_dtype(0), plan.out);
    return c.status();
}

Status eval_max_unpool(EvalCtx& c) {
    UnpoolPlan plan;
    KILN_TRY(make_max_unpool(c, &plan));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::max_unpool(c.in(0).data<T>(), c.in(1).data<int64_t>(), c.out(0).data<T>(), plan.params);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_max_unpool(EmitCtx& c) {
    UnpoolPlan plan;
    KILN_TRY(make_max_unpool(c, &plan));
    c.use_kernel("portable/pool.h");
    const kernels::UnpoolParams& p = plan.params;
    std::vector<int64_t> from(p.from, p.from + p.rank), to(p.to, p.to + p.rank);
    std::string name = c.define_params("k::UnpoolParams", fmt::format("{{{}, {}, {{{}}}, {{{}}}}}", p.rank, p.count,
                                                                      fmt::join(from, ", "), fmt::join(to, ", ")));
    c.call("k::max_unpool({}, {}, {}, {});", c.in(0), c.in(1), c.out(0), name);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(MaxUnpool, infer_max_unpool, eval_max_unpool, emit_max_unpool)
#define KILN_POOL_OP(OP, KIND, GLOBAL) \
    KILN_DEFINE_OP(OP, (infer_pool<KIND, GLOBAL>), (eval_pool<KIND, GLOBAL>), (emit_pool<KIND, GLOBAL>))
KILN_POOL_OP(MaxPool, PoolKind::Max, false)
KILN_POOL_OP(AveragePool, PoolKind::Average, false)
KILN_POOL_OP(LpPool, PoolKind::Lp, false)
KILN_POOL_OP(GlobalMaxPool, PoolKind::Max, true)
KILN_POOL_OP(GlobalAveragePool, PoolKind::Average, true)
KILN_POOL_OP(GlobalLpPool, PoolKind::Lp, true)
#undef KILN_POOL_OP
