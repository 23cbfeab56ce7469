// Ops that move elements by index tensors read at run time: Gather, GatherElements, GatherND,
// ScatterElements (and the older Scatter), ScatterND. Kernels: backends/portable/kernels/gather.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/gather.h"
#include "backends/portable/kernels/layout.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/strided_copy.h"

namespace kiln {
namespace {

// Index tensors are int32 or int64.
template <typename F>
bool dispatch_index(DType t, F&& f) {
    switch (t) {
    case DType::Int32: f(TypeTag<int32_t>{}); return true;
    case DType::Int64: f(TypeTag<int64_t>{}); return true;
    default: return false;
    }
}

Status require_index_input(InferCtx& c, std::size_t i) {
    DType t = c.in_dtype(i);
    if (t != DType::Int32 && t != DType::Int64)
        return c.fail("input {} (indices) has type {}, expected int32 or int64", i, dtype_name(t));
    return Status::ok();
}

std::string c_list(const int64_t* v, int n) {
    std::vector<int64_t> x(v, v + std::max(n, 1));
    return fmt::format("{{{}}}", fmt::join(x, ", "));
}

// Runs kernel(x, indices, y) for the node's data type T and index type I.
// NumericOnly leaves out bool and fp16 bit patterns (for scatters that add or multiply).
template <bool NumericOnly = false, typename Run>
Status dispatch_data_index(EvalCtx& c, DType data, DType index, Run run) {
    bool ok = false;
    auto with_data = [&](auto dtag) {
        ok = dispatch_index(index, [&](auto itag) { run(dtag, itag); });
    };
    bool known = NumericOnly ? dispatch_numeric(data, with_data) : dispatch_any(data, with_data);
    if (!known) return c.fail("type {} is not supported here", dtype_name(data));
    return ok ? Status::ok() : c.fail("index type {} is not supported", dtype_name(index));
}

// An out-of-range constant index would be silently zeroed (gathers) or dropped (scatters) by the
// kernels; report it at compile time instead.
Status check_const_indices(InferCtx& c, std::size_t i, int64_t dim, const char* what) {
    const Tensor* t = c.const_input(i);
    if (!t) return Status::ok();
    for (int64_t e = 0; e < t->numel(); ++e) {
        int64_t v = t->as_int64(e);
        if (v < -dim || v >= dim) return c.fail("{} index {} is out of range for a dim of size {}", what, v, dim);
    }
    return Status::ok();
}

// An empty output has no buffer and nothing to compute.
bool emit_nothing_if_empty(EmitCtx& c) { return c.output(0).numel() == 0; }

// ---- Gather --------------------------------------------------------------------------------------

kernels::GatherParams gather_params(NodeCtx& c) {
    const Shape& x = c.in_shape(0);
    const int64_t axis = c.normalize_axis(c.attr_int("axis", 0), int64_t(x.size()));
    kernels::GatherParams p{1, x.empty() ? 1 : x[std::size_t(axis)], 1, c.input(1).numel()};
    for (std::size_t d = 0; d < x.size(); ++d) {
        if (int64_t(d) < axis) p.outer *= x[d];
        if (int64_t(d) > axis) p.inner *= x[d];
    }
    return p;
}

Status infer_gather(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    KILN_TRY(require_index_input(c, 1));
    const Shape& x = c.in_shape(0);
    if (x.empty()) return c.fail("cannot gather from a scalar");
    const int64_t axis = c.normalize_axis(c.attr_int("axis", 0), int64_t(x.size()));
    KILN_TRY(c.status());
    KILN_TRY(check_const_indices(c, 1, x[std::size_t(axis)], "gather"));
    Shape out(x.begin(), x.begin() + axis);
    out.insert(out.end(), c.in_shape(1).begin(), c.in_shape(1).end());
    out.insert(out.end(), x.begin() + axis + 1, x.end());
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

Status eval_gather(EvalCtx& c) {
    kernels::GatherParams p = gather_params(c);
    return dispatch_data_index(c, c.in(0).dtype(), c.in(1).dtype(), [&](auto dt, auto it) {
        using T = typename decltype(dt)::type;
        using I = typename decltype(it)::type;
        kernels::gather(c.in(0).data<T>(), c.in(1).data<I>(), c.out(0).data<T>(), p);
    });
}

Status emit_gather(EmitCtx& c) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    kernels::GatherParams p = gather_params(c);
    c.use_kernel("portable/gather.h");
    std::string name =
        c.define_params("k::GatherParams", fmt::format("{{{}, {}, {}, {}}}", p.outer, p.axis_dim, p.inner, p.num_indices));
    c.call("k::gather({}, {}, {}, {});", c.in(0), c.in(1), c.out(0), name);
    return Status::ok();
}

// ---- GatherElements / ScatterElements / Scatter ----------------------------------------------------

kernels::ElementsParams elements_params(NodeCtx& c) {
    const Shape& x = c.in_shape(0);
    const Shape& idx = c.in_shape(1);
    const int64_t axis = c.normalize_axis(c.attr_int("axis", 0), int64_t(x.size()));
    std::vector<int64_t> st = contiguous_strides(x);
    kernels::ElementsParams p{};
    p.rank = int32_t(idx.size());
    for (std::size_t d = 0; d < idx.size(); ++d) {
        p.dims[d] = idx[d];
        p.strides[d] = int64_t(d) == axis ? 0 : st[d];
    }
    p.axis_stride = st[std::size_t(axis)];
    p.axis_dim = x[std::size_t(axis)];
    return p;
}

std::string c_elements_params(const kernels::ElementsParams& p) {
    return fmt::format("{{{}, {}, {}, {}, {}}}", p.rank, c_list(p.dims, p.rank), c_list(p.strides, p.rank),
                       p.axis_stride, p.axis_dim);
}

// Indices of the same rank as the data, no larger than it on any other axis (input 1), and for the
// scatters updates of the indices' shape (input 2).
Status check_elements_shapes(InferCtx& c) {
    const Shape& x = c.in_shape(0);
    const Shape& idx = c.in_shape(1);
    if (x.empty()) return c.fail("data must have rank >= 1");
    if (idx.size() != x.size()) return c.fail("indices {} and data {} differ in rank", shape_str(idx), shape_str(x));
    if (idx.size() > std::size_t(kernels::kMaxRank)) return c.fail("rank {} is above the supported {}", idx.size(), kernels::kMaxRank);
    const int64_t axis = c.normalize_axis(c.attr_int("axis", 0), int64_t(x.size()));
    KILN_TRY(c.status());
    for (std::size_t d = 0; d < x.size(); ++d)
        if (int64_t(d) != axis && idx[d] > x[d])
            return c.fail("indices {} exceed data {} on axis {}", shape_str(idx), shape_str(x), d);
    if (c.num_inputs() > 2 && c.in_shape(2) != idx)
        return c.fail("updates {} and indices {} differ in shape", shape_str(c.in_shape(2)), shape_str(idx));
    return check_const_indices(c, 1, x[std::size_t(axis)], "element");
}

Status infer_gather_elements(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    KILN_TRY(require_index_input(c, 1));
    KILN_TRY(check_elements_shapes(c));
    c.set_output(0, c.in_dtype(0), c.in_shape(1));
    return c.status();
}

Status eval_gather_elements(EvalCtx& c) {
    kernels::ElementsParams p = elements_params(c);
    return dispatch_data_index(c, c.in(0).dtype(), c.in(1).dtype(), [&](auto dt, auto it) {
        using T = typename decltype(dt)::type;
        using I = typename decltype(it)::type;
        kernels::gather_elements(c.in(0).data<T>(), c.in(1).data<I>(), c.out(0).data<T>(), p);
    });
}

Status emit_gather_elements(EmitCtx& c) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    c.use_kernel("portable/gather.h");
    std::string name = c.define_params("k::ElementsParams", c_elements_params(elements_params(c)));
    c.call("k::gather_elements({}, {}, {}, {});", c.in(0), c.in(1), c.out(0), name);
    return Status::ok();
}

// The reduction functor of a scatter: "none" before opset 16 (and for Scatter); add and mul after.
Status scatter_reduction(NodeCtx& c, std::string* functor) {
    std::string r = c.opset() >= 16 && c.node().op_type != "Scatter" ? c.attr_string("reduction", "none") : "none";
    if (r == "none") *functor = "ScatterAssign";
    else if (r == "add") *functor = "ScatterAdd";
    else if (r == "mul") *functor = "ScatterMul";
    else return c.fail("attribute reduction='{}' is not supported (none, add, mul)", r);
    return c.status();
}

Status infer_scatter_common(InferCtx& c) {
    KILN_TRY(c.require_inputs(3, 3));
    KILN_TRY(require_index_input(c, 1));
    if (c.in_dtype(2) != c.in_dtype(0))
        return c.fail("updates have type {}, data has {}", dtype_name(c.in_dtype(2)), dtype_name(c.in_dtype(0)));
    std::string functor;
    KILN_TRY(scatter_reduction(c, &functor));
    DType t = c.in_dtype(0);
    if (functor != "ScatterAssign" && !dtype_is_float(t) && !dtype_is_integer(t))
        return c.fail("reduction on type {} is not supported", dtype_name(t));
    if (functor != "ScatterAssign" && (t == DType::Float16 || t == DType::BFloat16))
        return c.fail("reduction on type {} is not supported", dtype_name(t));
    c.set_output(0, t, c.in_shape(0));
    return c.status();
}

Status infer_scatter_elements(InferCtx& c) {
    KILN_TRY(infer_scatter_common(c));
    return check_elements_shapes(c);
}

// Copies the data into the output, then applies Scatter(indices, updates, y, params, functor).
template <typename Scatter>
Status eval_scatter(EvalCtx& c, Scatter scatter) {
    kernels::copy(c.in(0).raw(), c.out(0).raw(), int64_t(c.in(0).nbytes()));
    std::string functor;
    KILN_TRY(scatter_reduction(c, &functor));
    auto run = [&](auto dt, auto it, auto f) {
        using T = typename decltype(dt)::type;
        using I = typename decltype(it)::type;
        scatter(c.in(1).data<I>(), c.in(2).data<T>(), c.out(0).data<T>(), f);
    };
    if (functor == "ScatterAssign")
        return dispatch_data_index(c, c.in(0).dtype(), c.in(1).dtype(),
                                   [&](auto dt, auto it) { run(dt, it, kernels::ScatterAssign()); });
    if (functor == "ScatterAdd")
        return dispatch_data_index<true>(c, c.in(0).dtype(), c.in(1).dtype(),
                                         [&](auto dt, auto it) { run(dt, it, kernels::ScatterAdd()); });
    return dispatch_data_index<true>(c, c.in(0).dtype(), c.in(1).dtype(),
                                     [&](auto dt, auto it) { run(dt, it, kernels::ScatterMul()); });
}

Status eval_scatter_elements(EvalCtx& c) {
    kernels::ElementsParams p = elements_params(c);
    return eval_scatter(c, [&](const auto* idx, const auto* upd, auto* y, auto f) {
        kernels::scatter_elements(idx, upd, y, p, f);
    });
}

Status emit_scatter(EmitCtx& c, const char* kernel, const char* params_type, const std::string& params) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    std::string functor;
    KILN_TRY(scatter_reduction(c, &functor));
    c.use_kernel("portable/layout.h");
    c.call("k::copy({}, {}, {});", c.in(0), c.out(0), c.output(0).numel());
    if (c.input(1).numel() == 0) return Status::ok();  // no updates
    c.use_kernel("portable/gather.h");
    std::string name = c.define_params(params_type, params);
    c.call("k::{}({}, {}, {}, {}, k::{}());", kernel, c.in(1), c.in(2), c.out(0), name, functor);
    return Status::ok();
}

Status emit_scatter_elements(EmitCtx& c) {
    return emit_scatter(c, "scatter_elements", "k::ElementsParams", c_elements_params(elements_params(c)));
}

// ---- GatherND / ScatterND ------------------------------------------------------------------------

kernels::NDParams nd_params(NodeCtx& c, int64_t batch_dims) {
    const Shape& x = c.in_shape(0);
    const Shape& idx = c.in_shape(1);
    const std::size_t b = std::size_t(batch_dims);
    const std::size_t k = std::size_t(idx.back());
    std::vector<int64_t> st = contiguous_strides(x);
    kernels::NDParams p{};
    p.batches = 1;
    for (std::size_t d = 0; d < b; ++d) p.batches *= x[d];
    p.batch_stride = 1;
    for (std::size_t d = b; d < x.size(); ++d) p.batch_stride *= x[d];
    p.tuples = 1;
    for (std::size_t d = b; d + 1 < idx.size(); ++d) p.tuples *= idx[d];
    p.k = int32_t(k);
    for (std::size_t j = 0; j < k; ++j) {
        p.dims[j] = x[b + j];
        p.strides[j] = st[b + j];
    }
    p.slice = 1;
    for (std::size_t d = b + k; d < x.size(); ++d) p.slice *= x[d];
    return p;
}

std::string c_nd_params(const kernels::NDParams& p) {
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {}}}", p.batches, p.batch_stride, p.tuples, p.k, c_list(p.dims, p.k),
                       c_list(p.strides, p.k), p.slice);
}

int64_t gather_nd_batch_dims(NodeCtx& c) { return c.opset() >= 12 ? c.attr_int("batch_dims", 0) : 0; }

// Checks ranks and batch dims; returns the shape of the gathered result / expected updates.
Status nd_result_shape(InferCtx& c, int64_t batch_dims, Shape* out) {
    const Shape& x = c.in_shape(0);
    const Shape& idx = c.in_shape(1);
    if (x.empty() || idx.empty()) return c.fail("data and indices must have rank >= 1");
    if (batch_dims < 0 || batch_dims >= int64_t(std::min(x.size(), idx.size())))
        return c.fail("batch_dims {} is out of range", batch_dims);
    const std::size_t b = std::size_t(batch_dims);
    for (std::size_t d = 0; d < b; ++d)
        if (x[d] != idx[d]) return c.fail("batch dim {} differs: data {} vs indices {}", d, shape_str(x), shape_str(idx));
    const int64_t k = idx.back();
    if (k < 1 || int64_t(b) + k > int64_t(x.size()))
        return c.fail("index tuples of length {} do not fit data of rank {} with {} batch dims", k, x.size(), b);
    if (k > kernels::kMaxRank) return c.fail("index tuples longer than {} are not supported", kernels::kMaxRank);
    *out = Shape(idx.begin(), idx.end() - 1);
    out->insert(out->end(), x.begin() + std::ptrdiff_t(b) + k, x.end());
    if (const Tensor* t = c.const_input(1))
        for (int64_t e = 0; e < t->numel(); ++e) {
            int64_t dim = x[b + std::size_t(e % k)], v = t->as_int64(e);
            if (v < -dim || v >= dim) return c.fail("index {} is out of range for a dim of size {}", v, dim);
        }
    return c.status();
}

Status infer_gather_nd(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    if (c.in_dtype(1) != DType::Int64) return c.fail("indices have type {}, expected int64", dtype_name(c.in_dtype(1)));
    Shape out;
    KILN_TRY(nd_result_shape(c, gather_nd_batch_dims(c), &out));
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

Status eval_gather_nd(EvalCtx& c) {
    kernels::NDParams p = nd_params(c, gather_nd_batch_dims(c));
    return dispatch_data_index(c, c.in(0).dtype(), c.in(1).dtype(), [&](auto dt, auto it) {
        using T = typename decltype(dt)::type;
        using I = typename decltype(it)::type;
        kernels::gather_nd(c.in(0).data<T>(), c.in(1).data<I>(), c.out(0).data<T>(), p);
    });
}

Status emit_gather_nd(EmitCtx& c) {
    if (emit_nothing_if_empty(c)) return Status::ok();
    c.use_kernel("portable/gather.h");
    std::string name = c.define_params("k::NDParams", c_nd_params(nd_params(c, gather_nd_batch_dims(c))));
    c.call("k::gather_nd({}, {}, {}, {});", c.in(0), c.in(1), c.out(0), name);
    return Status::ok();
}

Status infer_scatter_nd(InferCtx& c) {
    KILN_TRY(infer_scatter_common(c));
    if (c.in_dtype(1) != DType::Int64) return c.fail("indices have type {}, expected int64", dtype_name(c.in_dtype(1)));
    Shape upd;
    KILN_TRY(nd_result_shape(c, 0, &upd));
    if (c.in_shape(2) != upd)
        return c.fail("updates have shape {}, expected {}", shape_str(c.in_shape(2)), shape_str(upd));
    return c.status();
}

Status eval_scatter_nd(EvalCtx& c) {
    kernels::NDParams p = nd_params(c, 0);
    return eval_scatter(c, [&](const auto* idx, const auto* upd, auto* y, auto f) { kernels::scatter_nd(idx, upd, y, p, f); });
}

Status emit_scatter_nd(EmitCtx& c) { return emit_scatter(c, "scatter_nd", "k::NDParams", c_nd_params(nd_params(c, 0))); }

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Gather, infer_gather, eval_gather, emit_gather)
KILN_DEFINE_OP(GatherElements, infer_gather_elements, eval_gather_elements, emit_gather_elements)
KILN_DEFINE_OP(GatherND, infer_gather_nd, eval_gather_nd, emit_gather_nd)
KILN_DEFINE_OP(Scatter, infer_scatter_elements, eval_scatter_elements, emit_scatter_elements)
KILN_DEFINE_OP(ScatterElements, infer_scatter_elements, eval_scatter_elements, emit_scatter_elements)
KILN_DEFINE_OP(ScatterND, infer_scatter_nd, eval_scatter_nd, emit_scatter_nd)
