// Quantized matrix products with numpy semantics (batched, broadcast batch dims, 1-D operands):
// MatMulInteger (int32 output) and QLinearMatMul (requantized int8/uint8 output). A's zero point and scale
// are per tensor or per row, B's per tensor or per column, as the spec allows. Kernels: portable/qmatmul.h.
#include <algorithm>

#include "backends/common/emit_context.h"
#include "backends/portable/kernels/qmatmul.h"
#include "ops/broadcast.h"
#include "ops/quant_params.h"
#include "ops/registry.h"

namespace kiln {
namespace {

struct QMatMulPlan {
    kernels::QMatMulParams params{};
    Shape out;
    Shape a_batch, b_batch;  // the operands' own batch dims
};

// Input ai is A, bi is B (after the numpy promotion of 1-D operands).
Status matmul_geometry(NodeCtx& c, std::size_t ai, std::size_t bi, QMatMulPlan* plan) {
    Shape a = c.in_shape(ai), b = c.in_shape(bi);
    if (a.empty() || b.empty()) return c.fail("operands must have at least 1 dim");
    const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
    if (a_vec) a.insert(a.begin(), 1);
    if (b_vec) b.push_back(1);
    const int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
    if (b[b.size() - 2] != k)
        return c.fail("inner dims do not match: {} x {}", shape_str(c.in_shape(ai)), shape_str(c.in_shape(bi)));
    plan->a_batch.assign(a.begin(), a.end() - 2);
    plan->b_batch.assign(b.begin(), b.end() - 2);
    Shape batch;
    if (!broadcast_shapes({plan->a_batch, plan->b_batch}, &batch))
        return c.fail("batch dims of {} and {} do not broadcast", shape_str(c.in_shape(ai)), shape_str(c.in_shape(bi)));
    if (batch.size() > std::size_t(kernels::kMaxRank))
        return c.fail("{} batch dims; at most {} are supported", batch.size(), kernels::kMaxRank);
    plan->params.m = m;
    plan->params.n = n;
    plan->params.k = k;
    plan->params.batch = make_broadcast_params(batch, {plan->a_batch, plan->b_batch});
    plan->out = batch;
    if (!a_vec) plan->out.push_back(m);
    if (!b_vec) plan->out.push_back(n);
    return Status::ok();
}

Shape drop_leading_ones(Shape s) {
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), [](int64_t d) { return d != 1; }));
    return s;
}

// Strides of a quantization parameter (input i) of A (per row: one value, [M] or [batch.., M, 1]) or of
// B (per column: one value, [N] or [batch.., 1, N]). Batch dims, when given, must be the operand's own.
Status param_strides(NodeCtx& c, std::size_t i, const char* what, const Shape& operand_batch, int64_t count,
                     bool per_row, int64_t* elem_stride, int64_t* batch_stride) {
    const Shape& s = c.in_shape(i);
    *elem_stride = 0;
    *batch_stride = 0;
    if (shape_numel(s) == 1) return Status::ok();
    if (s.size() == 1 && s[0] == count) {
        *elem_stride = 1;
        return Status::ok();
    }
    const std::size_t r = s.size();
    const bool fits = r >= 2 && (per_row ? s[r - 2] == count && s[r - 1] == 1 : s[r - 2] == 1 && s[r - 1] == count);
    const Shape sb = drop_leading_ones(Shape(s.begin(), s.end() - (r >= 2 ? 2 : 0)));
    if (fits && (sb.empty() || sb == drop_leading_ones(operand_batch))) {
        *elem_stride = 1;
        *batch_stride = sb.empty() ? 0 : count;
        return Status::ok();
    }
    return c.fail("input {} ('{}') has shape {}; expected one value, {} values or shape [batch.., {}]", i, what,
                  shape_str(s), count, per_row ? fmt::format("{}, 1", count) : fmt::format("1, {}", count));
}

// Zero point (zi, optional) and scale (si, optional) of A or B must share one layout.
Status operand_params(NodeCtx& c, std::size_t zi, std::size_t si, const char* zname, const char* sname,
                      const Shape& operand_batch, int64_t count, bool per_row, int64_t* elem, int64_t* batch) {
    *elem = 0;
    *batch = 0;
    bool have = false;
    for (auto [i, what] : {std::pair<std::size_t, const char*>{zi, zname}, {si, sname}}) {
        if (i == std::size_t(-1) || !c.has_input(i)) continue;
        int64_t e = 0, b = 0;
        KILN_TRY(param_strides(c, i, what, operand_batch, count, per_row, &e, &b));
        if (have && (e != *elem || b != *batch))
            return c.fail("'{}' of shape {} and '{}' of shape {} must have the same layout", zname,
                          shape_str(c.in_shape(zi)), sname, shape_str(c.in_shape(si)));
        *elem = e;
        *batch = b;
        have = true;
    }
    return Status::ok();
}

std::string c_qmatmul_params(const kernels::QMatMulParams& p) {
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}}}", p.m, p.n, p.k, c_broadcast_params(p.batch), p.a_row_stride,
                       p.a_batch_stride, p.b_col_stride, p.b_batch_stride);
}

// Y holds batch x M x N elements, each a K-long dot product.
int64_t qmatmul_macs(NodeCtx& c) {
    const Shape& a = c.in_shape(0);
    return a.empty() ? 0 : shape_numel(c.out_shape(0)) * a.back();
}

// ---- MatMulInteger: A, B, a_zero_point?, b_zero_point? -------------------------------------------

Status make_matmul_integer(NodeCtx& c, QMatMulPlan* plan) {
    KILN_TRY(require_q8(c, 0, "A"));
    KILN_TRY(require_q8(c, 1, "B"));
    if (c.has_input(2)) KILN_TRY(require_same_type(c, 2, "a_zero_point", c.in_dtype(0)));
    if (c.has_input(3)) KILN_TRY(require_same_type(c, 3, "b_zero_point", c.in_dtype(1)));
    KILN_TRY(matmul_geometry(c, 0, 1, plan));
    kernels::QMatMulParams& p = plan->params;
    const std::size_t none = std::size_t(-1);
    KILN_TRY(operand_params(c, 2, none, "a_zero_point", "", plan->a_batch, p.m, true, &p.a_row_stride,
                            &p.a_batch_stride));
    KILN_TRY(operand_params(c, 3, none, "b_zero_point", "", plan->b_batch, p.n, false, &p.b_col_stride,
                            &p.b_batch_stride));
    return Status::ok();
}

Status infer_matmul_integer(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 4));
    QMatMulPlan plan;
    KILN_TRY(make_matmul_integer(c, &plan));
    c.set_output(0, DType::Int32, plan.out);
    return c.status();
}

Status eval_matmul_integer(EvalCtx& c) {
    QMatMulPlan plan;
    KILN_TRY(make_matmul_integer(c, &plan));
    bool ok = dispatch_q8(c.in(0).dtype(), [&](auto ta) {
        using TA = typename decltype(ta)::type;
        dispatch_q8(c.in(1).dtype(), [&](auto tb) {
            using TB = typename decltype(tb)::type;
            kernels::matmul_integer(c.in(0).data<TA>(), c.in(1).data<TB>(), c.has_in(2) ? c.in(2).data<TA>() : nullptr,
                                    c.has_in(3) ? c.in(3).data<TB>() : nullptr, c.out(0).data<int32_t>(), plan.params);
        });
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_matmul_integer(EmitCtx& c) {
    QMatMulPlan plan;
    KILN_TRY(make_matmul_integer(c, &plan));
    c.use_kernel("portable/qmatmul.h");
    std::string p = c.define_params("k::QMatMulParams", c_qmatmul_params(plan.params));
    c.call("k::matmul_integer({}, {}, {}, {}, {}, {});", c.in(0), c.in(1), optional_input(c, 2, c.in_ctype(0)),
           optional_input(c, 3, c.in_ctype(1)), c.out(0), p);
    return Status::ok();
}

// ---- QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point ------

Status make_qlinear_matmul(NodeCtx& c, QMatMulPlan* plan) {
    KILN_TRY(require_q8(c, 0, "a"));
    KILN_TRY(require_q8(c, 3, "b"));
    KILN_TRY(require_q8(c, 7, "y_zero_point"));
    KILN_TRY(require_same_type(c, 2, "a_zero_point", c.in_dtype(0)));
    KILN_TRY(require_same_type(c, 5, "b_zero_point", c.in_dtype(3)));
    KILN_TRY(require_scale(c, 1, "a_scale"));
    KILN_TRY(require_scale(c, 4, "b_scale"));
    KILN_TRY(require_scale(c, 6, "y_scale"));
    KILN_TRY(require_one_value(c, 6, "y_scale"));
    KILN_TRY(require_one_value(c, 7, "y_zero_point"));
    KILN_TRY(matmul_geometry(c, 0, 3, plan));
    kernels::QMatMulParams& p = plan->params;
    KILN_TRY(operand_params(c, 2, 1, "a_zero_point", "a_scale", plan->a_batch, p.m, true, &p.a_row_stride,
                            &p.a_batch_stride));
    KILN_TRY(operand_params(c, 5, 4, "b_zero_point", "b_scale", plan->b_batch, p.n, false, &p.b_col_stride,
                            &p.b_batch_stride));
    return Status::ok();
}

Status infer_qlinear_matmul(InferCtx& c) {
    KILN_TRY(c.require_inputs(8, 8));
    QMatMulPlan plan;
    KILN_TRY(make_qlinear_matmul(c, &plan));
    c.set_output(0, c.in_dtype(7), plan.out);
    return c.status();
}

Status eval_qlinear_matmul(EvalCtx& c) {
    QMatMulPlan plan;
    KILN_TRY(make_qlinear_matmul(c, &plan));
    bool ok = dispatch_q8(c.in(0).dtype(), [&](auto ta) {
        using TA = typename decltype(ta)::type;
        dispatch_q8(c.in(3).dtype(), [&](auto tb) {
            using TB = typename decltype(tb)::type;
            dispatch_q8(c.in(7).dtype(), [&](auto ty) {
                using TY = typename decltype(ty)::type;
                kernels::qlinear_matmul(c.in(0).data<TA>(), c.in(1).data<float>(), c.in(2).data<TA>(),
                                        c.in(3).data<TB>(), c.in(4).data<float>(), c.in(5).data<TB>(),
                                        c.in(6).data<float>(), c.in(7).data<TY>(), c.out(0).data<TY>(), plan.params);
            });
        });
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_qlinear_matmul(EmitCtx& c) {
    QMatMulPlan plan;
    KILN_TRY(make_qlinear_matmul(c, &plan));
    c.use_kernel("portable/qmatmul.h");
    std::string p = c.define_params("k::QMatMulParams", c_qmatmul_params(plan.params));
    c.call("k::qlinear_matmul({}, {}, {}, {}, {}, {}, {}, {}, {}, {});", c.in(0), c.in(1), c.in(2), c.in(3), c.in(4),
           c.in(5), c.in(6), c.in(7), c.out(0), p);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP_MACS(MatMulInteger, infer_matmul_integer, eval_matmul_integer, emit_matmul_integer, qmatmul_macs)
KILN_DEFINE_OP_MACS(QLinearMatMul, infer_qlinear_matmul, eval_qlinear_matmul, emit_qlinear_matmul, qmatmul_macs)
