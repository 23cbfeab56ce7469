// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is flattened to 2-D at `axis` (default 1)
// and normalized over the whole second dim; from opset 13 along the single dim `axis` (default -1).
// Kernels: portable/softmax.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/softmax.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };

const char* kernel_name(SoftmaxKind k) {
    switch (k) {
    case SoftmaxKind::Softmax: return "softmax";
    case SoftmaxKind::LogSoftmax: return "log_softmax";
    case SoftmaxKind::Hardmax: return "hardmax";
    }
    return "";
}

Status make_softmax(NodeCtx& c, kernels::SoftmaxParams* p) {
    DType t = c.in_dtype(0);
    if (t != DType::Float32 && t != DType::Float64)
        return c.fail("input has type {}; float and double are supported", dtype_name(t));
    const Shape& x = c.in_shape(0);
    const int64_t rank = int64_t(x.size());
    const bool flatten = c.opset() < 13;
    int64_t axis = c.attr_int("axis", flatten ? 1 : -1);
    KILN_TRY(c.status());
    // Old semantics allow axis == rank (everything in the outer part); the new ones name a real dim.
    if (flatten && axis == rank) {
        *p = kernels::SoftmaxParams{shape_numel(x), 1, 1};
        return Status::ok();
    }
    axis = c.normalize_axis(axis, rank);
    KILN_TRY(c.status());
    auto prod = [&](int64_t lo, int64_t hi) {
        int64_t n = 1;
        for (int64_t d = lo; d < hi; ++d) n *= x[std::size_t(d)];
        return n;
    };
    if (rank == 0) *p = kernels::SoftmaxParams{1, 1, 1};
    else if (flatten) *p = kernels::SoftmaxParams{prod(0, axis), prod(axis, rank), 1};
    else *p = kernels::SoftmaxParams{prod(0, axis), x[std::size_t(axis)], prod(axis + 1, rank)};
    return Status::ok();
}

Status infer_softmax(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    kernels::SoftmaxParams p;
    KILN_TRY(make_softmax(c, &p));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

template <SoftmaxKind K>
Status eval_softmax(EvalCtx& c) {
    kernels::SoftmaxParams p;
    KILN_TRY(make_softmax(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* x = c.in(0).data<T>();
        T* y = c.out(0).data<T>();
        if (K == SoftmaxKind::Softmax) kernels::softmax(x, y, p);
        else if (K == SoftmaxKind::LogSoftmax) kernels::log_softmax(x, y, p);
        else kernels::hardmax(x, y, p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

template <SoftmaxKind K>
Status emit_softmax(EmitCtx& c) {
    kernels::SoftmaxParams p;
    KILN_TRY(make_softmax(c, &p));
    c.use_kernel("portable/softmax.h");
    std::string name = c.define_params("k::SoftmaxParams", fmt::format("{{{}, {}, {}}}", p.outer, p.axis, p.inner));
    c.call("k::{}({}, {}, {});", kernel_name(K), c.in(0), c.out(0), name);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Softmax, infer_softmax, eval_softmax<SoftmaxKind::Softmax>, emit_softmax<SoftmaxKind::Softmax>)
KILN_DEFINE_OP(LogSoftmax, infer_softmax, eval_softmax<SoftmaxKind::LogSoftmax>,
               emit_softmax<SoftmaxKind::LogSoftmax>)
KILN_DEFINE_OP(Hardmax, infer_softmax, eval_softmax<SoftmaxKind::Hardmax>, emit_softmax<SoftmaxKind::Hardmax>)
