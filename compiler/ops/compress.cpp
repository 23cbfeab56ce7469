// Compress (opsets 9 and 11): the slices along `axis` (or the elements of the flattened input) whose
// condition is true. The output shape depends on the condition's values, so the condition must be a
// compile-time constant; the selection is then a Gather with constant indices (portable/gather.h).
#include <vector>

#include "backends/common/emit_context.h"
#include "backends/portable/kernels/gather.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

struct CompressPlan {
    std::vector<int64_t> indices;  // selected positions along the axis
    kernels::GatherParams gather;
    Shape out;
};

Status compress_plan(NodeCtx& c, CompressPlan* plan) {
    const Shape& x = c.in_shape(0);
    const bool flatten = !c.has_attr("axis");
    int64_t axis = 0;
    if (!flatten) {
        axis = c.attr_int("axis", 0);
        if (axis < 0 && c.opset() < 11) return c.fail("negative axis {} needs opset 11", axis);
        axis = c.normalize_axis(axis, int64_t(x.size()));
        KILN_TRY(c.status());
    }
    const Tensor* cond = c.const_input(1);
    if (!cond)
        return c.fail("input 1 ('{}', the condition) must be a compile-time constant: it decides the output shape",
                      c.input(1).name);
    if (cond->dtype() != DType::Bool || cond->shape().size() != 1)
        return c.fail("condition has type {} and shape {}; expected a 1-D bool tensor", dtype_name(cond->dtype()),
                      shape_str(cond->shape()));
    const Shape view = flatten ? Shape{shape_numel(x)} : x;
    const int64_t dim = view[std::size_t(axis)];
    // As numpy.compress: a shorter condition leaves the rest out; a longer one may not select past the end.
    plan->indices.clear();
    for (int64_t i = 0; i < cond->numel(); ++i) {
        if (!cond->data<bool>()[i]) continue;
        if (i >= dim) return c.fail("condition selects index {}, past the axis of size {}", i, dim);
        plan->indices.push_back(i);
    }
    plan->gather = kernels::GatherParams{1, dim, 1, int64_t(plan->indices.size())};
    for (std::size_t d = 0; d < view.size(); ++d) {
        if (int64_t(d) < axis) plan->gather.outer *= view[d];
        if (int64_t(d) > axis) plan->gather.inner *= view[d];
    }
    plan->out = view;
    plan->out[std::size_t(axis)] = int64_t(plan->indices.size());
    return Status::ok();
}

Status infer_compress(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    if (!dispatch_any(c.in_dtype(0), [](auto) {}))
        return c.fail("input has type {}, which is not supported", dtype_name(c.in_dtype(0)));
    if (c.in_shape(0).empty() && c.has_attr("axis")) return c.fail("a scalar input has no axis to compress");
    CompressPlan plan;
    KILN_TRY(compress_plan(c, &plan));
    c.set_output(0, c.in_dtype(0), plan.out);
    return c.status();
}

Status eval_compress(EvalCtx& c) {
    CompressPlan plan;
    KILN_TRY(compress_plan(c, &plan));
    const bool ok = dispatch_any(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::gather(c.in(0).data<T>(), plan.indices.data(), c.out(0).data<T>(), plan.gather);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_compress(EmitCtx& c) {
    CompressPlan plan;
    KILN_TRY(compress_plan(c, &plan));
    if (c.output(0).numel() == 0) return Status::ok();
    c.use_kernel("portable/gather.h");
    const std::string indices = c.define_int_array(plan.indices, "idx");
    const kernels::GatherParams& g = plan.gather;
    const std::string params = c.define_params(
        "k::GatherParams", fmt::format("{{{}, {}, {}, {}}}", g.outer, g.axis_dim, g.inner, g.num_indices));
    c.call("k::gather({}, {}, {}, {});", c.in(0), indices, c.out(0), params);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Compress, infer_compress, eval_compress, emit_compress)
