// Det (opset 11): determinants of a batch of square matrices [*, M, M] -> [*], in f32 or f64. The LU
// factors need M * M elements of work memory: generated code takes them from the stack, in a block
// around the call, so M is capped to keep that small. Kernel: backends/portable/kernels/det.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/det.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

// Largest work area generated code puts on the stack.
constexpr int64_t kMaxWorkBytes = 16 * 1024;

struct DetDims {
    int64_t batches, m;
};

DetDims det_dims(const Shape& s) {
    DetDims d{1, s.empty() ? 0 : s.back()};
    for (std::size_t i = 0; i + 2 < s.size(); ++i) d.batches *= s[i];
    return d;
}

Status infer_det(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    KILN_TRY(c.require_float_input(0));
    const Shape& s = c.in_shape(0);
    if (s.size() < 2 || s[s.size() - 1] != s[s.size() - 2])
        return c.fail("input shape {} should end in two equal dims [*, M, M]", shape_str(s));
    const int64_t work = s.back() * s.back() * int64_t(dtype_size(c.in_dtype(0)));
    if (work > kMaxWorkBytes)
        return c.fail("{}x{} matrices need {} bytes of stack for their LU factors; at most {} are supported", s.back(),
                      s.back(), work, kMaxWorkBytes);
    c.set_output(0, c.in_dtype(0), Shape(s.begin(), s.end() - 2));
    return c.status();
}

Status eval_det(EvalCtx& c) {
    const DetDims d = det_dims(c.in(0).shape());
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::vector<T> work(std::size_t(d.m * d.m) + 1);
        kernels::det(c.in(0).data<T>(), c.out(0).data<T>(), d.batches, d.m, work.data());
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_det(EmitCtx& c) {
    if (c.output(0).numel() == 0) return Status::ok();
    const DetDims d = det_dims(c.in_shape(0));
    c.use_kernel("portable/det.h");
    c.call("{{ {} work[{}]; k::det({}, {}, {}, {}, work); }}", c.in_ctype(0), std::max<int64_t>(d.m * d.m, 1), c.in(0),
           c.out(0), d.batches, d.m);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Det, infer_det, eval_det, emit_det)
