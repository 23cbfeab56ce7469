// TopK: the k largest (or smallest) elements along an axis and their int64 indices, sorted. k is an
// attribute before opset 10 and a constant input from opset 10. Kernel: backends/portable/kernels/topk.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/topk.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/static_inputs.h"

namespace kiln {
namespace {

Status topk_params(NodeCtx& c, kernels::TopKParams* p) {
    const Shape& s = c.in_shape(0);
    if (s.empty()) return c.fail("cannot take the top k of a scalar");
    const int64_t a = c.normalize_axis(c.attr_int("axis", -1), int64_t(s.size()));
    KILN_TRY(c.status());
    int64_t k = 0;
    if (c.opset() < 10) {
        if (!c.has_attr("k")) return c.fail("attribute 'k' is required");
        k = c.attr_int("k", 0);
    } else {
        std::vector<int64_t> kv;
        KILN_TRY(static_ints(c, 1, "k", &kv));
        if (kv.size() != 1) return c.fail("k should be one value, has {}", kv.size());
        k = kv[0];
    }
    if (k < 0 || k > s[std::size_t(a)]) return c.fail("k = {} is out of range for axis {} of size {}", k, a, s[std::size_t(a)]);
    *p = kernels::TopKParams{1, s[std::size_t(a)], 1, k, int32_t(c.opset() < 11 || c.attr_int("largest", 1) != 0)};
    for (std::size_t d = 0; d < s.size(); ++d) {
        if (int64_t(d) < a) p->outer *= s[d];
        if (int64_t(d) > a) p->inner *= s[d];
    }
    return c.status();
}

Status infer_topk(InferCtx& c) {
    KILN_TRY(c.require_inputs(c.opset() < 10 ? 1 : 2, c.opset() < 10 ? 1 : 2));
    const DType t = c.in_dtype(0);
    if (!dtype_is_float(t) && !dtype_is_integer(t)) return c.fail("type {} is not supported", dtype_name(t));
    if (t == DType::Float16 || t == DType::BFloat16) return c.fail("type {} is not supported", dtype_name(t));
    // sorted=0 allows any order; the sorted order is one of them.
    c.attr_int("sorted", 1);
    kernels::TopKParams p;
    KILN_TRY(topk_params(c, &p));
    Shape out = c.in_shape(0);
    out[std::size_t(c.normalize_axis(c.attr_int("axis", -1), int64_t(out.size())))] = p.k;
    c.set_output(0, t, out);
    c.set_output(1, DType::Int64, out);
    return c.status();
}

Status eval_topk(EvalCtx& c) {
    kernels::TopKParams p;
    KILN_TRY(topk_params(c, &p));
    // The kernel writes both outputs; an unused one still needs a buffer here.
    const Shape out_shape{p.outer, p.k, p.inner};
    Tensor values_scratch, indices_scratch;
    Tensor& values = c.has_out(0) ? c.out(0) : (values_scratch = Tensor(c.in(0).dtype(), out_shape));
    Tensor& indices = c.has_out(1) ? c.out(1) : (indices_scratch = Tensor(DType::Int64, out_shape));
    bool ok = dispatch_numeric(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::topk(c.in(0).data<T>(), values.data<T>(), indices.data<int64_t>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_topk(EmitCtx& c) {
    kernels::TopKParams p;
    KILN_TRY(topk_params(c, &p));
    if (!c.has_output(0) || !c.has_output(1))
        return c.fail("TopK with an unused values or indices output is not supported yet");
    if (c.output(0).numel() == 0) return Status::ok();
    c.use_kernel("portable/topk.h");
    std::string name =
        c.define_params("k::TopKParams", fmt::format("{{{}, {}, {}, {}, {}}}", p.outer, p.n, p.inner, p.k, p.largest));
    c.call("k::topk({}, {}, {}, {});", c.in(0), c.out(0), c.out(1), name);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(TopK, infer_topk, eval_topk, emit_topk)
