// CumSum (opsets 11, 14): running sums along a constant axis, exclusive and reverse variants.
// Kernel: backends/portable/kernels/cumsum.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/cumsum.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/static_inputs.h"

namespace kiln {
namespace {

Status cumsum_params(NodeCtx& c, kernels::CumSumParams* p) {
    std::vector<int64_t> axis;
    KILN_TRY(static_ints(c, 1, "axis", &axis));
    if (axis.size() != 1) return c.fail("axis should be one value, has {}", axis.size());
    const Shape& s = c.in_shape(0);
    const int64_t a = c.normalize_axis(axis[0], int64_t(s.size()));
    KILN_TRY(c.status());
    *p = kernels::CumSumParams{1, s.empty() ? 1 : s[std::size_t(a)], 1, int32_t(c.attr_int("exclusive", 0) != 0),
                               int32_t(c.attr_int("reverse", 0) != 0)};
    for (std::size_t d = 0; d < s.size(); ++d) {
        if (int64_t(d) < a) p->outer *= s[d];
        if (int64_t(d) > a) p->inner *= s[d];
    }
    return c.status();
}

Status infer_cumsum(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    const DType t = c.in_dtype(0);
    if (!dtype_is_float(t) && !dtype_is_integer(t)) return c.fail("type {} is not supported", dtype_name(t));
    if (t == DType::Float16 || t == DType::BFloat16) return c.fail("type {} is not supported", dtype_name(t));
    kernels::CumSumParams p;
    KILN_TRY(cumsum_params(c, &p));
    c.set_output(0, t, c.in_shape(0));
    return c.status();
}

Status eval_cumsum(EvalCtx& c) {
    kernels::CumSumParams p;
    KILN_TRY(cumsum_params(c, &p));
    bool ok = dispatch_numeric(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::cumsum(c.in(0).data<T>(), c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_cumsum(EmitCtx& c) {
    kernels::CumSumParams p;
    KILN_TRY(cumsum_params(c, &p));
    if (c.output(0).numel() == 0) return Status::ok();
    c.use_kernel("portable/cumsum.h");
    std::string name = c.define_params(
        "k::CumSumParams", fmt::format("{{{}, {}, {}, {}, {}}}", p.outer, p.n, p.inner, p.exclusive, p.reverse));
    c.call("k::cumsum({}, {}, {});", c.in(0), c.out(0), name);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(CumSum, infer_cumsum, eval_cumsum, emit_cumsum)
