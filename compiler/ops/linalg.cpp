// Matrix products: Gemm (transposes, alpha/beta, C broadcast to the output) and MatMul (numpy
// semantics: batched with broadcasting, 1-D operands promoted and their dim removed). Kernels:
// portable/gemm.h.
#include <cmath>

#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/gemm.h"
#include "ops/broadcast.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

bool is_matmul_type(DType t) {
    switch (t) {
    case DType::Float32:
    case DType::Float64:
    case DType::Int32:
    case DType::Int64:
    case DType::UInt32:
    case DType::UInt64: return true;
    default: return false;
    }
}

Status check_types(NodeCtx& c) {
    DType t = c.in_dtype(0);
    if (!is_matmul_type(t)) return c.fail("input A has type {}, which is not supported", dtype_name(t));
    for (std::size_t i = 1; i < c.num_inputs(); ++i)
        if (c.has_input(i) && c.in_dtype(i) != t)
            return c.fail("input {} has type {}, expected {} like A", i, dtype_name(c.in_dtype(i)), dtype_name(t));
    return Status::ok();
}

// ---- Gemm ---------------------------------------------------------------------------------------

Status make_gemm(NodeCtx& c, kernels::GemmParams* p) {
    KILN_TRY(check_types(c));
    const Shape& a = c.in_shape(0);
    const Shape& b = c.in_shape(1);
    if (a.size() != 2 || b.size() != 2)
        return c.fail("A {} and B {} must be matrices", shape_str(a), shape_str(b));
    const bool ta = c.attr_int("transA", 0) != 0, tb = c.attr_int("transB", 0) != 0;
    const float alpha = c.attr_float("alpha", 1.0f), beta = c.attr_float("beta", 1.0f);
    // Before opset 7, C broadcast only with broadcast=1; otherwise it had to have Y's shape.
    const bool may_broadcast = c.opset() >= 7 || c.attr_int("broadcast", 0) != 0;
    KILN_TRY(c.status());
    *p = kernels::GemmParams{};
    p->m = ta ? a[1] : a[0];
    p->k = ta ? a[0] : a[1];
    p->n = tb ? b[0] : b[1];
    const int64_t kb = tb ? b[1] : b[0];
    if (kb != p->k)
        return c.fail("inner dims do not match: A {} (transA={}) and B {} (transB={})", shape_str(a), int(ta),
                      shape_str(b), int(tb));
    p->trans_a = ta;
    p->trans_b = tb;
    p->alpha = alpha;
    p->beta = beta;
    if (dtype_is_integer(c.in_dtype(0)) && (std::floor(alpha) != alpha || std::floor(beta) != beta))
        return c.fail("alpha={} and beta={} must be whole numbers for integer type {}", alpha, beta,
                      dtype_name(c.in_dtype(0)));
    if (!c.has_input(2)) {
        if (c.opset() < 11) return c.fail("input C is required before opset 11");
        return Status::ok();
    }
    // C broadcasts to M x N unidirectionally: right-aligned, each dim 1 or equal.
    Shape cs = c.in_shape(2);
    if (cs.size() > 2) return c.fail("C has shape {}, expected at most 2 dims", shape_str(cs));
    while (cs.size() < 2) cs.insert(cs.begin(), 1);
    const bool fits = (cs[0] == 1 || cs[0] == p->m) && (cs[1] == 1 || cs[1] == p->n);
    if (!fits || (!may_broadcast && (cs[0] != p->m || cs[1] != p->n)))
        return c.fail("C of shape {} does not broadcast to {}x{}", shape_str(c.in_shape(2)), p->m, p->n);
    p->has_c = 1;
    p->c_row_stride = cs[0] == 1 ? 0 : cs[1];
    p->c_col_stride = cs[1] == 1 ? 0 : 1;
    return Status::ok();
}

Status infer_gemm(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 3));
    kernels::GemmParams p;
    KILN_TRY(make_gemm(c, &p));
    c.set_output(0, c.in_dtype(0), {p.m, p.n});
    return c.status();
}

Status eval_gemm(EvalCtx& c) {
    kernels::GemmParams p;
    KILN_TRY(make_gemm(c, &p));
    bool ok = dispatch_numeric(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::gemm(c.in(0).data<T>(), c.in(1).data<T>(), c.has_in(2) ? c.in(2).data<T>() : nullptr,
                      c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

std::string c_gemm_params(const kernels::GemmParams& p) {
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}}}", p.m, p.n, p.k, p.trans_a, p.trans_b,
                       c_float(p.alpha), c_float(p.beta), p.has_c, p.c_row_stride, p.c_col_stride);
}

Status emit_gemm(EmitCtx& c) {
    kernels::GemmParams p;
    KILN_TRY(make_gemm(c, &p));
    c.use_kernel("portable/gemm.h");
    std::string name = c.define_params("k::GemmParams", c_gemm_params(p));
    std::string cexpr = c.has_input(2) ? c.in(2) : fmt::format("static_cast<const {}*>(nullptr)", c.in_ctype(0));
    c.call("k::gemm({}, {}, {}, {}, {});", c.in(0), c.in(1), cexpr, c.out(0), name);
    return Status::ok();
}

int64_t gemm_macs(NodeCtx& c) {
    const Shape& y = c.out_shape(0);
    const Shape& a = c.in_shape(0);
    const bool ta = c.attr_int("transA", 0) != 0;
    return y.size() == 2 && a.size() == 2 ? y[0] * y[1] * (ta ? a[0] : a[1]) : 0;
}

// ---- MatMul -------------------------------------------------------------------------------------

struct MatMulPlan {
    kernels::MatMulParams params{};
    Shape out;
};

Status make_matmul(NodeCtx& c, MatMulPlan* plan) {
    KILN_TRY(check_types(c));
    Shape a = c.in_shape(0), b = c.in_shape(1);
    if (a.empty() || b.empty()) return c.fail("MatMul operands must have at least 1 dim");
    // numpy: a 1-D A is a row vector, a 1-D B a column vector; the added dim is dropped from Y.
    const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
    if (a_vec) a.insert(a.begin(), 1);
    if (b_vec) b.push_back(1);
    const int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
    if (b[b.size() - 2] != k)
        return c.fail("inner dims do not match: {} x {}", shape_str(c.in_shape(0)), shape_str(c.in_shape(1)));
    Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2), batch;
    if (!broadcast_shapes({ba, bb}, &batch))
        return c.fail("batch dims of {} and {} do not broadcast", shape_str(c.in_shape(0)), shape_str(c.in_shape(1)));
    if (batch.size() > std::size_t(kernels::kMaxRank))
        return c.fail("{} batch dims; at most {} are supported", batch.size(), kernels::kMaxRank);
    plan->params.m = m;
    plan->params.n = n;
    plan->params.k = k;
    plan->params.batch = make_broadcast_params(batch, {ba, bb});
    plan->out = batch;
    if (!a_vec) plan->out.push_back(m);
    if (!b_vec) plan->out.push_back(n);
    return Status::ok();
}

Status infer_matmul(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    MatMulPlan plan;
    KILN_TRY(make_matmul(c, &plan));
    c.set_output(0, c.in_dtype(0), plan.out);
    return c.status();
}

Status eval_matmul(EvalCtx& c) {
    MatMulPlan plan;
    KILN_TRY(make_matmul(c, &plan));
    bool ok = dispatch_numeric(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::matmul(c.in(0).data<T>(), c.in(1).data<T>(), c.out(0).data<T>(), plan.params);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_matmul(EmitCtx& c) {
    MatMulPlan plan;
    KILN_TRY(make_matmul(c, &plan));
    c.use_kernel("portable/gemm.h");
    const kernels::MatMulParams& p = plan.params;
    std::string name = c.define_params(
        "k::MatMulParams", fmt::format("{{{}, {}, {}, {}}}", p.m, p.n, p.k, c_broadcast_params(p.batch)));
    c.call("k::matmul({}, {}, {}, {});", c.in(0), c.in(1), c.out(0), name);
    return Status::ok();
}

// Y holds batch x M x N elements, each a K-long dot product.
int64_t matmul_macs(NodeCtx& c) {
    const Shape& a = c.in_shape(0);
    return a.empty() ? 0 : shape_numel(c.out_shape(0)) * a.back();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP_MACS(Gemm, infer_gemm, eval_gemm, emit_gemm, gemm_macs)
KILN_DEFINE_OP_MACS(MatMul, infer_matmul, eval_matmul, emit_matmul, matmul_macs)
