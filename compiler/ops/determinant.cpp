// Det (opset 11): determinants of [*, M, M] float16/float/double matrices. The kernel's n x n scratch is
// a local array of the generated code (on the stack), so M is capped. Kernel: portable/determinant.h.
#include <vector>

#include "backends/common/emit_context.h"
#include "backends/portable/kernels/determinant.h"
#include "ops/elementwise.h"
#include "ops/float_io.h"
#include "ops/registry.h"

namespace kiln {
namespace {

constexpr int64_t kMaxScratchBytes = 16384;

kernels::DetParams det_params(const NodeCtx& c) {
    const Shape& x = c.in_shape(0);
    const int64_t n = x[x.size() - 1];
    int64_t count = 1;
    for (std::size_t d = 0; d + 2 < x.size(); ++d) count *= x[d];
    return kernels::DetParams{count, n};
}

// Bytes of one scratch element: float for float16, else the element type.
int64_t acc_bytes(DType t) { return t == DType::Float64 ? 8 : 4; }

Status infer_det(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    const DType t = c.in_dtype(0);
    if (!type_in_set(t, kAnyFloat) || t == DType::BFloat16) return type_error(c, 0);
    const Shape& x = c.in_shape(0);
    if (x.size() < 2 || x[x.size() - 1] != x[x.size() - 2])
        return c.fail("input has shape {}; expected [*, M, M] (square matrices)", shape_str(x));
    const int64_t n = x.back();
    if (n * n * acc_bytes(t) > kMaxScratchBytes)
        return c.fail("{}x{} matrices need {} bytes of stack scratch; at most {} are supported", n, n,
                      n * n * acc_bytes(t), kMaxScratchBytes);
    c.set_output(0, t, Shape(x.begin(), x.end() - 2));
    return c.status();
}

Status eval_det(EvalCtx& c) {
    const kernels::DetParams p = det_params(c);
    const bool ok = dispatch_map<kAnyFloat>(c.in(0).dtype(), [&](auto tag, auto adapter) {
        using T = typename decltype(tag)::type;
        using Io = typename IoFor<decltype(adapter), T>::type;
        std::vector<typename Io::Acc> scratch(std::size_t(p.n * p.n));
        kernels::det<Io>(c.in(0).data<T>(), c.out(0).data<T>(), scratch.data(), p);
    });
    return ok ? Status::ok() : type_error(c, 0);
}

Status emit_det(EmitCtx& c) {
    const kernels::DetParams p = det_params(c);
    if (p.count == 0) return Status::ok();
    c.use_kernel("portable/determinant.h");
    const std::string params = c.define_params("k::DetParams", fmt::format("{{{}, {}}}", p.count, p.n));
    const DType t = c.in_dtype(0);
    const std::string io = io_expr(t);
    c.call("{{ {}::Acc scratch[{}]; k::det<{}>({}, {}, scratch, {}); }}", io, std::max<int64_t>(p.n * p.n, 1), io,
           c.in(0), c.out(0), params);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Det, infer_det, eval_det, emit_det)
