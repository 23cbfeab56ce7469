// ReverseSequence (opset 10): reverses the first sequence_lens[b] steps along time_axis for each b on
// batch_axis (the axes are 0 and 1, either way round), any element type. Kernel: portable/reverse_sequence.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/reverse_sequence.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

Status reverse_params(NodeCtx& c, kernels::ReverseSequenceParams* p) {
    const int64_t batch_axis = c.attr_int("batch_axis", 1);
    const int64_t time_axis = c.attr_int("time_axis", 0);
    KILN_TRY(c.status());
    if ((batch_axis != 0 && batch_axis != 1) || (time_axis != 0 && time_axis != 1) || batch_axis == time_axis)
        return c.fail("batch_axis={} and time_axis={}: expected 0 and 1, one each", batch_axis, time_axis);
    const Shape& x = c.in_shape(0);
    if (x.size() < 2) return c.fail("input has shape {}; expected rank 2 or more", shape_str(x));
    *p = kernels::ReverseSequenceParams{x[std::size_t(batch_axis)], x[std::size_t(time_axis)], 1,
                                        int32_t(time_axis == 0)};
    for (std::size_t d = 2; d < x.size(); ++d) p->inner *= x[d];
    return Status::ok();
}

Status infer_reverse_sequence(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    if (!dispatch_any(c.in_dtype(0), [](auto) {}))
        return c.fail("input has type {}, which is not supported", dtype_name(c.in_dtype(0)));
    if (c.in_dtype(1) != DType::Int64)
        return c.fail("sequence_lens has type {}; expected int64", dtype_name(c.in_dtype(1)));
    kernels::ReverseSequenceParams p;
    KILN_TRY(reverse_params(c, &p));
    if (c.in_shape(1) != Shape{p.batch})
        return c.fail("sequence_lens has shape {}; expected [{}] (the batch size)", shape_str(c.in_shape(1)), p.batch);
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_reverse_sequence(EvalCtx& c) {
    kernels::ReverseSequenceParams p;
    KILN_TRY(reverse_params(c, &p));
    const bool ok = dispatch_any(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::reverse_sequence(c.in(0).data<T>(), c.in(1).data<int64_t>(), c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_reverse_sequence(EmitCtx& c) {
    kernels::ReverseSequenceParams p;
    KILN_TRY(reverse_params(c, &p));
    if (c.output(0).numel() == 0) return Status::ok();
    c.use_kernel("portable/reverse_sequence.h");
    const std::string params = c.define_params(
        "k::ReverseSequenceParams", fmt::format("{{{}, {}, {}, {}}}", p.batch, p.time, p.inner, p.time_major));
    c.call("k::reverse_sequence({}, {}, {}, {});", c.in(0), c.in(1), c.out(0), params);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(ReverseSequence, infer_reverse_sequence, eval_reverse_sequence, emit_reverse_sequence)
