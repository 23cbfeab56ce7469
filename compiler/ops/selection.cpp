// Selections whose output size depends on data: Compress (opset 9/11: constant condition, with or without
// axis) and NonZero (opset 9/13: constant input, so it folds). Kiln fixes shapes when compiling, so that data
// must be a compile-time constant. Compress then is a Gather with the selected positions
// (backends/portable/kernels/gather.h); NonZero's kernel is in selection.h.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/gather.h"
#include "backends/portable/kernels/selection.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

// Input i's data, or an error the conformance runner and users recognize as "make it a constant".
const Tensor* data_deciding_input(NodeCtx& c, std::size_t i, const char* what) {
    const Tensor* t = c.const_input(i);
    if (!t)
        c.fail("input {} ('{}', the {}) must be a compile-time constant: its values decide the output shape", i,
               c.input(i).name, what);
    return t;
}

// ---- Compress ------------------------------------------------------------------------------------

struct CompressPlan {
    kernels::GatherParams gather;
    std::vector<int64_t> selected;  // positions along the axis (of the flattened input without one)
    Shape out;
};

Expected<CompressPlan> compress_plan(NodeCtx& c) {
    const Shape& s = c.in_shape(0);
    const bool has_axis = c.has_attr("axis");
    const int64_t axis = has_axis ? c.normalize_axis(c.attr_int("axis", 0), int64_t(s.size())) : 0;
    KILN_TRY(c.status());
    if (c.in_dtype(1) != DType::Bool || c.in_shape(1).size() != 1)
        return c.fail("condition is {}[{}], expected a 1-d bool tensor", dtype_name(c.in_dtype(1)), shape_str(c.in_shape(1)));
    const Tensor* cond = data_deciding_input(c, 1, "condition");
    if (!cond) return c.status();
    CompressPlan plan{{1, shape_numel(s), 1, 0}, {}, {}};
    if (has_axis) {
        plan.gather.axis_dim = s[std::size_t(axis)];
        for (int64_t d = 0; d < int64_t(s.size()); ++d) {
            if (d < axis) plan.gather.outer *= s[std::size_t(d)];
            if (d > axis) plan.gather.inner *= s[std::size_t(d)];
        }
    }
    for (int64_t j = 0; j < cond->numel(); ++j) {
        if (!cond->data<bool>()[j]) continue;
        if (j >= plan.gather.axis_dim)
            return c.fail("condition selects position {}, but the {} has only {}", j, has_axis ? "axis" : "input",
                          plan.gather.axis_dim);
        plan.selected.push_back(j);
    }
    plan.gather.num_indices = int64_t(plan.selected.size());
    plan.out = has_axis ? s : Shape{};
    if (has_axis) plan.out[std::size_t(axis)] = plan.gather.num_indices;
    else plan.out.push_back(plan.gather.num_indices);
    return plan;
}

Status infer_compress(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    if (c.in_dtype(0) == DType::String) return c.fail("type string is not supported");
    Expected<CompressPlan> plan = compress_plan(c);
    if (!plan) return plan.status();
    c.set_output(0, c.in_dtype(0), plan->out);
    return c.status();
}

Status eval_compress(EvalCtx& c) {
    Expected<CompressPlan> plan = compress_plan(c);
    if (!plan) return plan.status();
    bool ok = dispatch_any(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::gather(c.in(0).data<T>(), plan->selected.data(), c.out(0).data<T>(), plan->gather);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_compress(EmitCtx& c) {
    if (c.output(0).numel() == 0) return Status::ok();
    Expected<CompressPlan> plan = compress_plan(c);
    if (!plan) return plan.status();
    const kernels::GatherParams& g = plan->gather;
    c.use_kernel("portable/gather.h");
    std::string p = c.define_params("k::GatherParams", fmt::format("{{{}, {}, {}, {}}}", g.outer, g.axis_dim, g.inner,
                                                                  g.num_indices));
    std::string idx = c.define_int_array(plan->selected, "selected");
    c.call("k::gather({}, {}, {}, {});", c.in(0), idx, c.out(0), p);
    return Status::ok();
}

// ---- NonZero -------------------------------------------------------------------------------------

Expected<kernels::NonZeroParams> nonzero_params(NodeCtx& c) {
    const Tensor* x = data_deciding_input(c, 0, "input");
    if (!x) return c.status();
    const Shape& s = x->shape();
    if (s.size() > std::size_t(kernels::kMaxRank)) return c.fail("rank {} is more than {}", s.size(), kernels::kMaxRank);
    kernels::NonZeroParams p{};
    p.rank = int32_t(s.size());
    for (std::size_t d = 0; d < s.size(); ++d) p.dims[d] = s[d];
    p.numel = x->numel();
    const bool half = x->dtype() == DType::Float16 || x->dtype() == DType::BFloat16;
    for (int64_t e = 0; e < p.numel; ++e)
        p.count += half ? (x->data<uint16_t>()[e] & 0x7fffu) != 0 : x->as_double(e) != 0.0;
    return p;
}

Status infer_nonzero(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    if (c.in_dtype(0) == DType::String) return c.fail("type string is not supported");
    Expected<kernels::NonZeroParams> p = nonzero_params(c);
    if (!p) return p.status();
    c.set_output(0, DType::Int64, {p->rank, p->count});  // a scalar gives [0, count], as the spec says
    return c.status();
}

// Calls f(TypeTag<Storage>{}, predicate) for x's type.
template <typename F>
bool dispatch_nonzero(DType t, F&& f) {
    if (t == DType::Float16 || t == DType::BFloat16) {
        f(TypeTag<uint16_t>{}, kernels::IsNonZeroHalf{});
        return true;
    }
    return dispatch_any(t, [&](auto tag) { f(tag, kernels::IsNonZero{}); });
}

Status eval_nonzero(EvalCtx& c) {
    Expected<kernels::NonZeroParams> p = nonzero_params(c);
    if (!p) return p.status();
    bool ok = dispatch_nonzero(c.in(0).dtype(), [&](auto tag, auto pred) {
        using T = typename decltype(tag)::type;
        kernels::nonzero(c.in(0).data<T>(), c.out(0).data<int64_t>(), *p, pred);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_nonzero(EmitCtx& c) {
    if (c.output(0).numel() == 0) return Status::ok();
    Expected<kernels::NonZeroParams> p = nonzero_params(c);
    if (!p) return p.status();
    c.use_kernel("portable/selection.h");
    const bool half = c.in_dtype(0) == DType::Float16 || c.in_dtype(0) == DType::BFloat16;
    std::string params = c.define_params(
        "k::NonZeroParams", fmt::format("{{{}, {}, {}, {}}}", p->rank,
                                        c_int_list(std::vector<int64_t>(p->dims, p->dims + std::max(p->rank, 1))),
                                        p->numel, p->count));
    c.call("k::nonzero({}, {}, {}, k::{}{{}});", c.in(0), c.out(0), params, half ? "IsNonZeroHalf" : "IsNonZero");
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Compress, infer_compress, eval_compress, emit_compress)
KILN_DEFINE_OP(NonZero, infer_nonzero, eval_nonzero, emit_nonzero)
