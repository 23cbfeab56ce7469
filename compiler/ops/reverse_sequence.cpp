// ReverseSequence (opset 10): batch_axis and time_axis are 0 and 1 in either order; sequence_lens is read at
// run time. Any element type (the kernel moves bytes). Kernel: backends/portable/kernels/reverse_sequence.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/reverse_sequence.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

Expected<kernels::ReverseSequenceParams> reverse_sequence_params(NodeCtx& c) {
    const Shape& s = c.in_shape(0);
    const int64_t batch_axis = c.attr_int("batch_axis", 1);
    const int64_t time_axis = c.attr_int("time_axis", 0);
    KILN_TRY(c.status());
    if (s.size() < 2) return c.fail("input shape {} should have rank 2 or more", shape_str(s));
    if ((batch_axis != 0 && batch_axis != 1) || (time_axis != 0 && time_axis != 1) || batch_axis == time_axis)
        return c.fail("batch_axis={} and time_axis={} should be 0 and 1 in some order", batch_axis, time_axis);
    kernels::ReverseSequenceParams p{s[std::size_t(batch_axis)], s[std::size_t(time_axis)], 1, int32_t(time_axis == 0)};
    for (std::size_t d = 2; d < s.size(); ++d) p.inner *= s[d];
    return p;
}

Status infer_reverse_sequence(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    Expected<kernels::ReverseSequenceParams> p = reverse_sequence_params(c);
    if (!p) return p.status();
    if (c.in_dtype(1) != DType::Int64 || c.in_shape(1) != Shape{p->batch})
        return c.fail("sequence_lens is {}[{}], expected int64[{}]", dtype_name(c.in_dtype(1)), shape_str(c.in_shape(1)),
                      p->batch);
    if (c.in_dtype(0) == DType::String) return c.fail("type string is not supported");
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_reverse_sequence(EvalCtx& c) {
    Expected<kernels::ReverseSequenceParams> p = reverse_sequence_params(c);
    if (!p) return p.status();
    bool ok = dispatch_any(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::reverse_sequence(c.in(0).data<T>(), c.in(1).data<int64_t>(), c.out(0).data<T>(), *p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_reverse_sequence(EmitCtx& c) {
    if (c.output(0).numel() == 0) return Status::ok();
    Expected<kernels::ReverseSequenceParams> p = reverse_sequence_params(c);
    if (!p) return p.status();
    c.use_kernel("portable/reverse_sequence.h");
    std::string params = c.define_params("k::ReverseSequenceParams",
                                         fmt::format("{{{}, {}, {}, {}}}", p->batch, p->time, p->inner, p->time_major));
    c.call("k::reverse_sequence({}, {}, {}, {});", c.in(0), c.in(1), c.out(0), params);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(ReverseSequence, infer_reverse_sequence, eval_reverse_sequence, emit_reverse_sequence)
