// Ops that change only the shape, never the bytes (Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// Dropout at inference) and ops that report a shape (Shape, Size). Shapes are static, so Shape and Size
// are compile-time constants and folding removes them. Kernels: backends/portable/kernels/layout.h.
#include <algorithm>
#include <set>

#include "backends/common/emit_context.h"
#include "backends/portable/kernels/layout.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/static_inputs.h"

namespace kiln {
namespace {

// ---- byte-preserving ops: one copy, the output shape is all that differs --------------------------

Status eval_copy(EvalCtx& c) {
    kernels::copy(c.in(0).raw(), c.out(0).raw(), int64_t(c.in(0).nbytes()));
    return Status::ok();
}

Status emit_copy(EmitCtx& c) {
    c.use_kernel("portable/layout.h");
    c.call("k::copy({}, {}, {});", c.in(0), c.out(0), c.input(0).numel());
    return Status::ok();
}

// ---- Reshape -------------------------------------------------------------------------------------

Status infer_reshape(InferCtx& c) {
    std::vector<int64_t> shape;
    if (c.opset() < 5) {
        KILN_TRY(c.require_inputs(1, 1));
        if (!c.has_attr("shape")) return c.fail("attribute 'shape' is required");
        shape = c.attr_ints("shape");
    } else {
        KILN_TRY(c.require_inputs(2, 2));
        KILN_TRY(static_ints(c, 1, "target shape", &shape));
    }
    const bool allowzero = c.opset() >= 14 && c.attr_int("allowzero", 0) != 0;
    const Shape& in = c.in_shape(0);
    Shape out(shape.size());
    int infer_at = -1;
    int64_t known = 1;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        int64_t d = shape[i];
        if (d == 0 && !allowzero) {
            if (i >= in.size()) return c.fail("shape[{}] = 0 copies a dim the {}-d input does not have", i, in.size());
            d = in[i];
        } else if (d == -1) {
            if (infer_at >= 0) return c.fail("shape {} has more than one -1", shape_str(shape));
            infer_at = int(i);
            continue;
        } else if (d < 0) {
            return c.fail("shape[{}] = {} is negative", i, d);
        }
        out[i] = d;
        known *= d;
    }
    const int64_t numel = shape_numel(in);
    if (infer_at >= 0) {
        if (known == 0 || numel % known != 0)
            return c.fail("cannot infer the -1 in shape {} for {} elements", fmt::join(shape, ","), numel);
        out[std::size_t(infer_at)] = numel / known;
    } else if (known != numel) {
        return c.fail("shape [{}] has {} elements but the input {} has {}", fmt::join(shape, ","), known,
                      shape_str(in), numel);
    }
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

// ---- Flatten -------------------------------------------------------------------------------------

Status infer_flatten(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    const Shape& in = c.in_shape(0);
    const int64_t rank = int64_t(in.size());
    int64_t axis = c.attr_int("axis", 1);
    if (axis < -rank || axis > rank) return c.fail("axis {} is out of range for rank {}", axis, rank);
    if (axis < 0) axis += rank;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= in[std::size_t(d)];
    c.set_output(0, c.in_dtype(0), {outer, inner});
    return c.status();
}

// ---- Squeeze / Unsqueeze -------------------------------------------------------------------------

// Axes from the attribute (before opset 13) or the constant input 1 (from opset 13); `given` tells
// whether any were given at all (Squeeze without axes removes every size-1 dim).
Status squeeze_axes(NodeCtx& c, std::vector<int64_t>* axes, bool* given) {
    if (c.opset() < 13) {
        *given = c.has_attr("axes");
        *axes = c.attr_ints("axes");
        return c.status();
    }
    *given = c.has_input(1);
    if (!*given) return Status::ok();
    return static_ints(c, 1, "axes", axes);
}

Status infer_squeeze(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, c.opset() < 13 ? 1 : 2));
    std::vector<int64_t> axes;
    bool given = false;
    KILN_TRY(squeeze_axes(c, &axes, &given));
    const Shape& in = c.in_shape(0);
    std::set<int64_t> drop;
    for (int64_t a : axes) {
        int64_t n = c.normalize_axis(a, int64_t(in.size()));
        KILN_TRY(c.status());
        if (in[std::size_t(n)] != 1) return c.fail("cannot squeeze axis {} of size {}", a, in[std::size_t(n)]);
        drop.insert(n);
    }
    Shape out;
    for (std::size_t d = 0; d < in.size(); ++d) {
        bool squeezed = given ? drop.count(int64_t(d)) != 0 : in[d] == 1;
        if (!squeezed) out.push_back(in[d]);
    }
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

Status infer_unsqueeze(InferCtx& c) {
    KILN_TRY(c.require_inputs(c.opset() < 13 ? 1 : 2, c.opset() < 13 ? 1 : 2));
    std::vector<int64_t> axes;
    bool given = false;
    KILN_TRY(squeeze_axes(c, &axes, &given));
    if (!given) return c.fail("axes are required");
    const Shape& in = c.in_shape(0);
    const int64_t out_rank = int64_t(in.size() + axes.size());
    std::set<int64_t> add;
    for (int64_t a : axes) {
        int64_t n = c.normalize_axis(a, out_rank);
        KILN_TRY(c.status());
        if (!add.insert(n).second) return c.fail("axis {} is given twice", a);
    }
    Shape out;
    std::size_t next = 0;
    for (int64_t d = 0; d < out_rank; ++d) out.push_back(add.count(d) ? 1 : in[next++]);
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

// ---- Identity ------------------------------------------------------------------------------------

Status infer_identity(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

// ---- Dropout: the identity at inference; the optional mask keeps every element ---------------------

Status infer_dropout(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, c.opset() >= 12 ? 3 : 1));
    if (c.opset() >= 12 && c.has_input(2)) {
        const Tensor* t = c.const_input(2);
        if (!t) return c.fail("input 2 (training_mode) must be a compile-time constant");
        // Training mode drops elements at random; with ratio 0 it keeps them all, like inference.
        bool zero_ratio = false;
        if (c.has_input(1)) {
            const Tensor* r = c.const_input(1);
            zero_ratio = r && r->numel() == 1 && r->as_double(0) == 0.0;
        }
        if (t->numel() == 1 && t->as_int64(0) != 0 && !zero_ratio)
            return c.fail("training_mode=true (random dropout) is not supported");
    }
    // is_test (before opset 7), ratio (an attribute before 12) and seed only matter when training: an
    // inference compiler runs the test-time identity either way.
    c.attr_int("is_test", 0);
    c.attr_float("ratio", 0.5f);
    c.attr_int("seed", 0);
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    c.set_output(1, c.opset() >= 10 ? DType::Bool : c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_dropout(EvalCtx& c) {
    KILN_TRY(eval_copy(c));
    if (!c.has_out(1)) return Status::ok();
    Tensor& m = c.out(1);
    bool ok = dispatch_any(m.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::fill(m.data<T>(), m.numel(), T(1));
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(m.dtype()));
}

Status emit_dropout(EmitCtx& c) {
    KILN_TRY(emit_copy(c));
    if (c.has_output(1) && c.output(1).numel() > 0 && !c.output(1).is_constant())
        c.call("k::fill({}, {}, static_cast<{}>(1));", c.out(1), c.output(1).numel(), c.out_ctype(1));
    return Status::ok();
}

// ---- Shape / Size: constants derived from the static input shape ---------------------------------

Tensor shape_tensor(NodeCtx& c) {
    const Shape& in = c.in_shape(0);
    const int64_t rank = int64_t(in.size());
    int64_t start = 0, end = rank;
    if (c.opset() >= 15) {
        start = c.attr_int("start", 0);
        end = c.attr_int("end", rank);
    }
    // Out-of-range start/end clamp to [0, rank], as the spec says.
    auto clamp = [&](int64_t v) { return std::min(std::max(v < 0 ? v + rank : v, int64_t(0)), rank); };
    start = clamp(start);
    end = std::max(clamp(end), start);
    Tensor t(DType::Int64, {end - start});
    for (int64_t i = start; i < end; ++i) t.data<int64_t>()[i - start] = in[std::size_t(i)];
    return t;
}

Tensor size_tensor(NodeCtx& c) {
    Tensor t(DType::Int64, {});
    t.data<int64_t>()[0] = shape_numel(c.in_shape(0));
    return t;
}

template <Tensor (*Make)(NodeCtx&)>
Status infer_shape_constant(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    c.set_output_constant(0, Make(c));
    return c.status();
}

template <Tensor (*Make)(NodeCtx&)>
Status eval_shape_constant(EvalCtx& c) {
    Tensor t = Make(c);
    std::copy(t.raw(), t.raw() + t.nbytes(), c.out(0).raw());
    return c.status();
}

// Reached only if folding kept the node; its output is then a constant the module already holds.
Status emit_shape_constant(EmitCtx& c) {
    return c.fail("internal: the output should have been folded into a constant");
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Reshape, infer_reshape, eval_copy, emit_copy)
KILN_DEFINE_OP(Flatten, infer_flatten, eval_copy, emit_copy)
KILN_DEFINE_OP(Squeeze, infer_squeeze, eval_copy, emit_copy)
KILN_DEFINE_OP(Unsqueeze, infer_unsqueeze, eval_copy, emit_copy)
KILN_DEFINE_OP(Identity, infer_identity, eval_copy, emit_copy)
KILN_DEFINE_OP(Dropout, infer_dropout, eval_dropout, emit_dropout)
KILN_DEFINE_OP(Shape, infer_shape_constant<shape_tensor>, eval_shape_constant<shape_tensor>, emit_shape_constant)
KILN_DEFINE_OP(Size, infer_shape_constant<size_tensor>, eval_shape_constant<size_tensor>, emit_shape_constant)
