// Ops that generate tensors from parameters: ConstantOfShape, Range, EyeLike, Trilu, OneHot.
// ConstantOfShape and Range depend only on constant inputs, so folding normally computes them at compile
// time. Kernels: backends/portable/kernels/generate.h (and fill in layout.h).
#include <cmath>

#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/generate.h"
#include "backends/portable/kernels/layout.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/static_inputs.h"

namespace kiln {
namespace {

// An empty output has no buffer and nothing to compute.
bool emit_nothing_if_empty(EmitCtx& c) { return c.output(0).numel() == 0; }

// ---- ConstantOfShape -----------------------------------------------------------------------------

// The fill value as a one-element tensor: the 'value' attribute, or float 0.
Status fill_value(NodeCtx& c, Tensor* out) {
    const Tensor* v = c.attr_tensor("value");
    KILN_TRY(c.status());
    if (!v) {
        *out = Tensor(DType::Float32, {});
        return Status::ok();
    }
    if (v->numel() != 1) return c.fail("attribute 'value' should hold one element, has shape {}", shape_str(v->shape()));
    *out = *v;
    out->reshape({});
    return Status::ok();
}

Status infer_constant_of_shape(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    std::vector<int64_t> shape;
    KILN_TRY(static_ints(c, 0, "output shape", &shape));
    for (int64_t d : shape)
        if (d < 0) return c.fail("shape [{}] has a negative dim", fmt::join(shape, ","));
    Tensor v;
    KILN_TRY(fill_value(c, &v));
    c.set_output(0, v.dtype(), shape);
    return c.status();
}

Status eval_constant_of_shape(EvalCtx& c) {
    Tensor v;
    KILN_TRY(fill_value(c, &v));
    Tensor& y = c.out(0);
    bool ok = dispatch_any(y.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::fill(y.data<T>(), y.numel(), v.data<T>()[0]);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(y.dtype()));
}

Status emit_constant_of_shape(EmitCtx& c) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    Tensor v;
    KILN_TRY(fill_value(c, &v));
    c.use_kernel("portable/layout.h");
    c.call("k::fill<{}>({}, {}, {});", c.out_ctype(0), c.out(0), c.output(0).numel(), c_element(v, 0));
    return Status::ok();
}

// ---- Range ---------------------------------------------------------------------------------------

Status infer_range(InferCtx& c) {
    KILN_TRY(c.require_inputs(3, 3));
    const DType t = c.in_dtype(0);
    if (c.in_dtype(1) != t || c.in_dtype(2) != t) return c.fail("start, limit and delta must have the same type");
    if (!dtype_is_float(t) && !dtype_is_integer(t)) return c.fail("type {} is not supported", dtype_name(t));
    double start = 0, limit = 0, delta = 0;
    KILN_TRY(static_scalar(c, 0, "start", &start));
    KILN_TRY(static_scalar(c, 1, "limit", &limit));
    KILN_TRY(static_scalar(c, 2, "delta", &delta));
    if (delta == 0) return c.fail("delta is 0");
    const double n = std::ceil((limit - start) / delta);
    c.set_output(0, t, {n > 0 ? int64_t(n) : 0});
    return c.status();
}

Status eval_range(EvalCtx& c) {
    bool ok = dispatch_numeric(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::range(c.in(0).data<T>(), c.in(2).data<T>(), c.out(0).data<T>(), c.out(0).numel());
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_range(EmitCtx& c) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    c.use_kernel("portable/generate.h");
    c.call("k::range({}, {}, {}, {});", c.in(0), c.in(2), c.out(0), c.output(0).numel());
    return Status::ok();
}

// ---- EyeLike -------------------------------------------------------------------------------------

Status infer_eye_like(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    if (c.in_shape(0).size() != 2) return c.fail("expected a 2-d input, got {}", shape_str(c.in_shape(0)));
    DType t = c.in_dtype(0);
    if (c.has_attr("dtype")) {
        t = dtype_from_onnx(int(c.attr_int("dtype", 0)));
        if (!dtype_supported(t) || t == DType::String) return c.fail("attribute dtype={} is not supported", c.attr_int("dtype", 0));
    }
    c.attr_int("k", 0);  // the diagonal, used by eval and emit
    c.set_output(0, t, c.in_shape(0));
    return c.status();
}

// The element 1 of the output type (fp16 and bf16 as their bit patterns).
Tensor one_of(DType t) {
    Tensor one(t, {});
    one.set_from_double(0, 1.0);
    return one;
}

Status eval_eye_like(EvalCtx& c) {
    Tensor& y = c.out(0);
    const Tensor one = one_of(y.dtype());
    bool ok = dispatch_any(y.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::eye_like(y.data<T>(), y.shape()[0], y.shape()[1], c.attr_int("k", 0), one.data<T>()[0]);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(y.dtype()));
}

Status emit_eye_like(EmitCtx& c) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    c.use_kernel("portable/generate.h");
    c.call("k::eye_like<{}>({}, {}, {}, {}, {});", c.out_ctype(0), c.out(0), c.out_shape(0)[0], c.out_shape(0)[1],
           c_int(c.attr_int("k", 0)), c_element(one_of(c.out_dtype(0)), 0));
    return Status::ok();
}

// ---- Trilu ---------------------------------------------------------------------------------------

struct TriluDims {
    int64_t batches, rows, cols;
};

TriluDims trilu_dims(NodeCtx& c) {
    const Shape& s = c.in_shape(0);
    TriluDims d{1, s[s.size() - 2], s[s.size() - 1]};
    for (std::size_t i = 0; i + 2 < s.size(); ++i) d.batches *= s[i];
    return d;
}

Status infer_trilu(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 2));
    if (c.in_shape(0).size() < 2) return c.fail("expected rank >= 2, got {}", shape_str(c.in_shape(0)));
    if (c.has_input(1) && (c.in_dtype(1) != DType::Int64 || c.input(1).numel() != 1))
        return c.fail("k should be one int64, is {}[{}]", dtype_name(c.in_dtype(1)), shape_str(c.in_shape(1)));
    c.attr_int("upper", 1);  // read by eval and emit; reading it here marks it supported
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_trilu(EvalCtx& c) {
    const TriluDims d = trilu_dims(c);
    const int64_t* k = c.has_in(1) ? c.in(1).data<int64_t>() : nullptr;
    const int32_t upper = int32_t(c.attr_int("upper", 1) != 0);
    bool ok = dispatch_any(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::trilu(c.in(0).data<T>(), c.out(0).data<T>(), d.batches, d.rows, d.cols, upper, k);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_trilu(EmitCtx& c) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    const TriluDims d = trilu_dims(c);
    c.use_kernel("portable/generate.h");
    c.call("k::trilu({}, {}, {}, {}, {}, {}, {});", c.in(0), c.out(0), d.batches, d.rows, d.cols,
           int(c.attr_int("upper", 1) != 0), c.has_input(1) ? c.in(1) : "static_cast<const int64_t*>(nullptr)");
    return Status::ok();
}

// ---- OneHot --------------------------------------------------------------------------------------

Status one_hot_params(NodeCtx& c, kernels::OneHotParams* p, int64_t* axis) {
    double depth = 0;
    KILN_TRY(static_scalar(c, 1, "depth", &depth));
    if (depth < 1) return c.fail("depth {} must be at least 1", depth);
    const Shape& idx = c.in_shape(0);
    *axis = c.normalize_axis(c.attr_int("axis", -1), int64_t(idx.size()) + 1);
    KILN_TRY(c.status());
    *p = kernels::OneHotParams{1, int64_t(depth), 1, int32_t(c.opset() >= 11)};
    for (std::size_t d = 0; d < idx.size(); ++d) (int64_t(d) < *axis ? p->outer : p->inner) *= idx[d];
    return c.status();
}

Status infer_one_hot(InferCtx& c) {
    KILN_TRY(c.require_inputs(3, 3));
    const DType it = c.in_dtype(0);
    if (!dtype_is_float(it) && !dtype_is_integer(it)) return c.fail("indices have type {}, expected numeric", dtype_name(it));
    if (c.input(2).numel() != 2) return c.fail("values should hold [off, on], has shape {}", shape_str(c.in_shape(2)));
    kernels::OneHotParams p;
    int64_t axis = 0;
    KILN_TRY(one_hot_params(c, &p, &axis));
    Shape out = c.in_shape(0);
    out.insert(out.begin() + axis, p.depth);
    c.set_output(0, c.in_dtype(2), out);
    return c.status();
}

Status eval_one_hot(EvalCtx& c) {
    kernels::OneHotParams p;
    int64_t axis = 0;
    KILN_TRY(one_hot_params(c, &p, &axis));
    bool inner_ok = false;
    bool ok = dispatch_any(c.in(2).dtype(), [&](auto vtag) {
        using T = typename decltype(vtag)::type;
        inner_ok = dispatch_numeric(c.in(0).dtype(), [&](auto itag) {
            using I = typename decltype(itag)::type;
            kernels::one_hot(c.in(0).data<I>(), c.in(2).data<T>(), c.out(0).data<T>(), p);
        });
    });
    return ok && inner_ok ? Status::ok() : c.fail("types {} / {} are not supported", dtype_name(c.in(0).dtype()),
                                                  dtype_name(c.in(2).dtype()));
}

Status emit_one_hot(EmitCtx& c) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    kernels::OneHotParams p;
    int64_t axis = 0;
    KILN_TRY(one_hot_params(c, &p, &axis));
    c.use_kernel("portable/generate.h");
    std::string name = c.define_params("k::OneHotParams", fmt::format("{{{}, {}, {}, {}}}", p.outer, p.depth, p.inner, p.wrap_negative));
    c.call("k::one_hot({}, {}, {}, {});", c.in(0), c.in(2), c.out(0), name);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(ConstantOfShape, infer_constant_of_shape, eval_constant_of_shape, emit_constant_of_shape)
KILN_DEFINE_OP(Range, infer_range, eval_range, emit_range)
KILN_DEFINE_OP(EyeLike, infer_eye_like, eval_eye_like, emit_eye_like)
KILN_DEFINE_OP(Trilu, infer_trilu, eval_trilu, emit_trilu)
KILN_DEFINE_OP(OneHot, infer_one_hot, eval_one_hot, emit_one_hot)
