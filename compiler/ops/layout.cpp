// Ops whose outputs are affine views of their inputs, so each is one or more strided copies planned at
// compile time: Transpose, Concat, Split, Slice, Expand, Tile, DepthToSpace, SpaceToDepth.
// Kernel: strided_copy in backends/portable/kernels/layout.h.
#include <algorithm>
#include <limits>

#include "backends/common/emit_context.h"
#include "ops/broadcast.h"
#include "ops/registry.h"
#include "ops/static_inputs.h"
#include "ops/strided_copy.h"

namespace kiln {
namespace {

// One strided copy from input `in` to output `out` of the node.
struct CopyStep {
    std::size_t in, out;
    StridedCopy copy;
};
// Plans the node's copies from its (inferred) shapes and attributes; shared by eval and emit so the
// evaluator and the generated code run the same copies.
using Planner = Status (*)(NodeCtx&, std::vector<CopyStep>*);

template <Planner Plan>
Status eval_copies(EvalCtx& c) {
    std::vector<CopyStep> steps;
    KILN_TRY(Plan(c, &steps));
    for (const CopyStep& s : steps)
        if (shape_numel(s.copy.dims) > 0) KILN_TRY(eval_strided_copy(c, c.in(s.in), c.out(s.out), s.copy));
    return c.status();
}

template <Planner Plan>
Status emit_copies(EmitCtx& c) {
    std::vector<CopyStep> steps;
    KILN_TRY(Plan(c, &steps));
    for (std::size_t k = 0; k < steps.size(); ++k) {
        const CopyStep& s = steps[k];
        if (shape_numel(s.copy.dims) == 0) continue;  // empty tensors have no buffer
        KILN_TRY(emit_strided_copy(c, c.in(s.in), c.out(s.out), s.copy, steps.size() == 1 ? "p" : fmt::format("p{}", k)));
    }
    return c.status();
}

// The view of a contiguous tensor of shape `view` with its dims reordered by perm, copied densely.
StridedCopy permuted(const Shape& view, const std::vector<int64_t>& perm) {
    std::vector<int64_t> st = contiguous_strides(view);
    StridedCopy s;
    for (int64_t p : perm) {
        s.dims.push_back(view[std::size_t(p)]);
        s.src_strides.push_back(st[std::size_t(p)]);
    }
    s.dst_strides = contiguous_strides(s.dims);
    return s;
}

// ---- Transpose -----------------------------------------------------------------------------------

Status transpose_perm(NodeCtx& c, std::vector<int64_t>* perm) {
    const int64_t rank = int64_t(c.in_shape(0).size());
    std::vector<int64_t> def;
    for (int64_t d = rank - 1; d >= 0; --d) def.push_back(d);
    *perm = c.attr_ints("perm", def);
    if (int64_t(perm->size()) != rank) return c.fail("perm has {} entries for a rank-{} input", perm->size(), rank);
    std::vector<bool> seen(std::size_t(rank), false);
    for (int64_t& p : *perm) {
        p = c.normalize_axis(p, rank);
        KILN_TRY(c.status());
        if (seen[std::size_t(p)]) return c.fail("perm [{}] is not a permutation", fmt::join(*perm, ","));
        seen[std::size_t(p)] = true;
    }
    return c.status();
}

Status infer_transpose(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    std::vector<int64_t> perm;
    KILN_TRY(transpose_perm(c, &perm));
    Shape out;
    for (int64_t p : perm) out.push_back(c.in_shape(0)[std::size_t(p)]);
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

Status plan_transpose(NodeCtx& c, std::vector<CopyStep>* steps) {
    std::vector<int64_t> perm;
    KILN_TRY(transpose_perm(c, &perm));
    steps->push_back({0, 0, permuted(c.in_shape(0), perm)});
    return c.status();
}

// ---- Concat --------------------------------------------------------------------------------------

Status infer_concat(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, std::numeric_limits<std::size_t>::max()));
    if (!c.has_attr("axis")) return c.fail("attribute 'axis' is required");
    const Shape& first = c.in_shape(0);
    const int64_t axis = c.normalize_axis(c.attr_int("axis", 0), int64_t(first.size()));
    KILN_TRY(c.status());
    if (first.empty()) return c.fail("cannot concatenate scalars");
    Shape out = first;
    out[std::size_t(axis)] = 0;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        if (!c.has_input(i)) return c.fail("input {} is missing", i);
        const Shape& s = c.in_shape(i);
        if (c.in_dtype(i) != c.in_dtype(0))
            return c.fail("input {} has type {}, input 0 has {}", i, dtype_name(c.in_dtype(i)), dtype_name(c.in_dtype(0)));
        bool ok = s.size() == first.size();
        for (std::size_t d = 0; ok && d < s.size(); ++d) ok = int64_t(d) == axis || s[d] == first[d];
        if (!ok) return c.fail("input {} shape {} does not match {} outside axis {}", i, shape_str(s), shape_str(first), axis);
        out[std::size_t(axis)] += s[std::size_t(axis)];
    }
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

Status plan_concat(NodeCtx& c, std::vector<CopyStep>* steps) {
    const Shape& out = c.out_shape(0);
    const std::size_t axis = std::size_t(c.normalize_axis(c.attr_int("axis", 0), int64_t(out.size())));
    std::vector<int64_t> ost = contiguous_strides(out);
    int64_t at = 0;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        StridedCopy s;
        s.dims = c.in_shape(i);
        s.src_strides = contiguous_strides(s.dims);
        s.dst_strides = ost;
        s.dst_offset = at * ost[axis];
        at += s.dims[axis];
        steps->push_back({i, 0, s});
    }
    return c.status();
}

// ---- Split ---------------------------------------------------------------------------------------

// Sizes of the parts along the axis: the split attribute (before opset 13), the constant input 1
// (from opset 13), or equal parts.
Status split_sizes(NodeCtx& c, int64_t* axis, std::vector<int64_t>* sizes) {
    const Shape& in = c.in_shape(0);
    *axis = c.normalize_axis(c.attr_int("axis", 0), int64_t(in.size()));
    KILN_TRY(c.status());
    const int64_t dim = in[std::size_t(*axis)];
    const int64_t parts = int64_t(c.num_outputs());
    if (c.opset() < 13 && c.has_attr("split")) {
        *sizes = c.attr_ints("split");
    } else if (c.opset() >= 13 && c.has_input(1)) {
        KILN_TRY(static_ints(c, 1, "split sizes", sizes));
    } else {
        if (dim % parts != 0) return c.fail("axis {} of size {} does not split into {} equal parts", *axis, dim, parts);
        sizes->assign(std::size_t(parts), dim / parts);
    }
    if (int64_t(sizes->size()) != parts)
        return c.fail("split has {} sizes for {} outputs", sizes->size(), parts);
    int64_t total = 0;
    for (int64_t s : *sizes) {
        if (s < 0) return c.fail("split size {} is negative", s);
        total += s;
    }
    if (total != dim) return c.fail("split sizes [{}] add up to {}, not the axis size {}", fmt::join(*sizes, ","), total, dim);
    return c.status();
}

Status infer_split(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, c.opset() >= 13 ? 2 : 1));
    int64_t axis = 0;
    std::vector<int64_t> sizes;
    KILN_TRY(split_sizes(c, &axis, &sizes));
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        Shape s = c.in_shape(0);
        s[std::size_t(axis)] = sizes[i];
        c.set_output(i, c.in_dtype(0), s);
    }
    return c.status();
}

Status plan_split(NodeCtx& c, std::vector<CopyStep>* steps) {
    int64_t axis = 0;
    std::vector<int64_t> sizes;
    KILN_TRY(split_sizes(c, &axis, &sizes));
    std::vector<int64_t> ist = contiguous_strides(c.in_shape(0));
    int64_t at = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        StridedCopy s;
        s.dims = c.in_shape(0);
        s.dims[std::size_t(axis)] = sizes[i];
        s.src_strides = ist;
        s.src_offset = at * ist[std::size_t(axis)];
        s.dst_strides = contiguous_strides(s.dims);
        at += sizes[i];
        if (c.has_output(i)) steps->push_back({0, i, s});
    }
    return c.status();
}

// ---- Slice ---------------------------------------------------------------------------------------

// The copy that reads the slice: per-axis start offsets and steps folded into offset and strides.
Status slice_copy(NodeCtx& c, StridedCopy* s) {
    const Shape& in = c.in_shape(0);
    const int64_t rank = int64_t(in.size());
    std::vector<int64_t> starts, ends, axes, steps;
    if (c.opset() < 10) {
        starts = c.attr_ints("starts");
        ends = c.attr_ints("ends");
        axes = c.attr_ints("axes");
    } else {
        KILN_TRY(static_ints(c, 1, "starts", &starts));
        KILN_TRY(static_ints(c, 2, "ends", &ends));
        if (c.has_input(3)) KILN_TRY(static_ints(c, 3, "axes", &axes));
        if (c.has_input(4)) KILN_TRY(static_ints(c, 4, "steps", &steps));
    }
    if (starts.size() != ends.size()) return c.fail("starts has {} entries but ends has {}", starts.size(), ends.size());
    if (axes.empty())
        for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size())
        return c.fail("starts, ends, axes and steps have different lengths");
    s->dims = in;
    s->src_strides = contiguous_strides(in);
    std::vector<bool> seen(std::size_t(rank), false);
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const int64_t a = c.normalize_axis(axes[i], rank);
        KILN_TRY(c.status());
        if (seen[std::size_t(a)]) return c.fail("axis {} is sliced twice", axes[i]);
        seen[std::size_t(a)] = true;
        const int64_t dim = in[std::size_t(a)], step = steps[i];
        if (step == 0) return c.fail("step 0 on axis {}", axes[i]);
        int64_t st = starts[i], en = ends[i];
        if (st < 0) st += dim;
        if (en < 0) en += dim;
        // Clamping as the spec says: [0, dim] going forward, [-1, dim-1] going backward.
        if (step > 0) {
            st = std::min(std::max(st, int64_t(0)), dim);
            en = std::min(std::max(en, int64_t(0)), dim);
        } else {
            st = std::min(std::max(st, int64_t(0)), dim - 1);
            en = std::min(std::max(en, int64_t(-1)), dim - 1);
        }
        int64_t n = step > 0 ? (en - st + step - 1) / step : (st - en + (-step) - 1) / (-step);
        n = std::max(n, int64_t(0));
        s->dims[std::size_t(a)] = n;
        if (n > 0) s->src_offset += st * s->src_strides[std::size_t(a)];
        s->src_strides[std::size_t(a)] *= step;
    }
    s->dst_strides = contiguous_strides(s->dims);
    if (shape_numel(s->dims) == 0) s->src_offset = 0;
    return c.status();
}

Status infer_slice(InferCtx& c) {
    KILN_TRY(c.require_inputs(c.opset() < 10 ? 1 : 3, c.opset() < 10 ? 1 : 5));
    StridedCopy s;
    KILN_TRY(slice_copy(c, &s));
    c.set_output(0, c.in_dtype(0), s.dims);
    return c.status();
}

Status plan_slice(NodeCtx& c, std::vector<CopyStep>* steps) {
    StridedCopy s;
    KILN_TRY(slice_copy(c, &s));
    steps->push_back({0, 0, s});
    return c.status();
}

// ---- Expand: bidirectional broadcast to a constant shape -----------------------------------------

Status infer_expand(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    std::vector<int64_t> shape;
    KILN_TRY(static_ints(c, 1, "target shape", &shape));
    for (int64_t d : shape)
        if (d < 0) return c.fail("shape [{}] has a negative dim", fmt::join(shape, ","));
    Shape out;
    if (!broadcast_shapes({c.in_shape(0), shape}, &out))
        return c.fail("input shape {} does not broadcast to [{}]", shape_str(c.in_shape(0)), fmt::join(shape, ","));
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

Status plan_expand(NodeCtx& c, std::vector<CopyStep>* steps) {
    const Shape& in = c.in_shape(0);
    StridedCopy s;
    s.dims = c.out_shape(0);
    s.src_strides.assign(s.dims.size(), 0);
    std::vector<int64_t> ist = contiguous_strides(in);
    const std::size_t off = s.dims.size() - in.size();
    for (std::size_t d = 0; d < in.size(); ++d) s.src_strides[off + d] = in[d] == 1 ? 0 : ist[d];
    s.dst_strides = contiguous_strides(s.dims);
    steps->push_back({0, 0, s});
    return c.status();
}

// ---- Tile: each output dim r*d seen as (r, d) with the input repeated along r ----------------------

Status tile_repeats(NodeCtx& c, std::vector<int64_t>* reps) {
    KILN_TRY(static_ints(c, 1, "repeats", reps));
    if (reps->size() != c.in_shape(0).size())
        return c.fail("repeats has {} entries for a rank-{} input", reps->size(), c.in_shape(0).size());
    for (int64_t r : *reps)
        if (r < 0) return c.fail("repeat count {} is negative", r);
    return c.status();
}

Status infer_tile(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 2));
    std::vector<int64_t> reps;
    KILN_TRY(tile_repeats(c, &reps));
    Shape out = c.in_shape(0);
    for (std::size_t d = 0; d < out.size(); ++d) out[d] *= reps[d];
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

Status plan_tile(NodeCtx& c, std::vector<CopyStep>* steps) {
    std::vector<int64_t> reps;
    KILN_TRY(tile_repeats(c, &reps));
    const Shape& in = c.in_shape(0);
    std::vector<int64_t> ist = contiguous_strides(in), ost = contiguous_strides(c.out_shape(0));
    StridedCopy s;
    for (std::size_t d = 0; d < in.size(); ++d) {
        s.dims.insert(s.dims.end(), {reps[d], in[d]});
        s.src_strides.insert(s.src_strides.end(), {0, ist[d]});
        s.dst_strides.insert(s.dst_strides.end(), {in[d] * ost[d], ost[d]});
    }
    steps->push_back({0, 0, s});
    return c.status();
}

// ---- DepthToSpace / SpaceToDepth: a 6-d reshape-transpose-reshape ---------------------------------

Status block_size(NodeCtx& c, int64_t* b) {
    if (!c.has_attr("blocksize")) return c.fail("attribute 'blocksize' is required");
    *b = c.attr_int("blocksize", 1);
    if (*b <= 0) return c.fail("blocksize {} must be positive", *b);
    if (c.in_shape(0).size() != 4) return c.fail("expected a 4-d NCHW input, got {}", shape_str(c.in_shape(0)));
    return c.status();
}

// Each computes the copy and the output shape.
Status d2s_copy(NodeCtx& c, StridedCopy* s, Shape* out) {
    int64_t b = 0;
    KILN_TRY(block_size(c, &b));
    const Shape& in = c.in_shape(0);
    const int64_t n = in[0], ch = in[1], h = in[2], w = in[3];
    if (ch % (b * b) != 0) return c.fail("channels {} are not a multiple of blocksize^2 = {}", ch, b * b);
    const std::string mode = c.attr_string("mode", "DCR");
    if (mode == "DCR")
        *s = permuted({n, b, b, ch / (b * b), h, w}, {0, 3, 4, 1, 5, 2});
    else if (mode == "CRD")
        *s = permuted({n, ch / (b * b), b, b, h, w}, {0, 1, 4, 2, 5, 3});
    else
        return c.fail("attribute mode='{}' is not supported (expected DCR or CRD)", mode);
    *out = {n, ch / (b * b), h * b, w * b};
    return c.status();
}

Status s2d_copy(NodeCtx& c, StridedCopy* s, Shape* out) {
    int64_t b = 0;
    KILN_TRY(block_size(c, &b));
    const Shape& in = c.in_shape(0);
    const int64_t n = in[0], ch = in[1], h = in[2], w = in[3];
    if (h % b != 0 || w % b != 0) return c.fail("spatial size {}x{} is not a multiple of blocksize {}", h, w, b);
    *s = permuted({n, ch, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4});
    *out = {n, ch * b * b, h / b, w / b};
    return c.status();
}

using BlockCopy = Status (*)(NodeCtx&, StridedCopy*, Shape*);

template <BlockCopy Copy>
Status infer_block(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    StridedCopy s;
    Shape out;
    KILN_TRY(Copy(c, &s, &out));
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

template <BlockCopy Copy>
Status plan_block(NodeCtx& c, std::vector<CopyStep>* steps) {
    StridedCopy s;
    Shape out;
    KILN_TRY(Copy(c, &s, &out));
    steps->push_back({0, 0, s});
    return c.status();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Transpose, infer_transpose, eval_copies<plan_transpose>, emit_copies<plan_transpose>)
KILN_DEFINE_OP(Concat, infer_concat, eval_copies<plan_concat>, emit_copies<plan_concat>)
KILN_DEFINE_OP(Split, infer_split, eval_copies<plan_split>, emit_copies<plan_split>)
KILN_DEFINE_OP(Slice, infer_slice, eval_copies<plan_slice>, emit_copies<plan_slice>)
KILN_DEFINE_OP(Expand, infer_expand, eval_copies<plan_expand>, emit_copies<plan_expand>)
KILN_DEFINE_OP(Tile, infer_tile, eval_copies<plan_tile>, emit_copies<plan_tile>)
KILN_DEFINE_OP(DepthToSpace, infer_block<d2s_copy>, eval_copies<plan_block<d2s_copy>>, emit_copies<plan_block<d2s_copy>>)
KILN_DEFINE_OP(SpaceToDepth, infer_block<s2d_copy>, eval_copies<plan_block<s2d_copy>>, emit_copies<plan_block<s2d_copy>>)
