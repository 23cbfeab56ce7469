// Normalizations: BatchNormalization (inference only), InstanceNormalization, LayerNormalization,
// LRN and MeanVarianceNormalization. Kernels: portable/normalization.h.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/normalization.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

Status check_float_inputs(NodeCtx& c) {
    DType t = c.in_dtype(0);
    if (t != DType::Float32 && t != DType::Float64)
        return c.fail("input has type {}; float and double are supported", dtype_name(t));
    for (std::size_t i = 1; i < c.num_inputs(); ++i)
        if (c.has_input(i) && c.in_dtype(i) != t)
            return c.fail("input {} has type {}, expected {} like X", i, dtype_name(c.in_dtype(i)), dtype_name(t));
    return Status::ok();
}

// X viewed as [N, C, spatial]; inputs 1.. must each hold one value per channel.
Status make_channel_norm(NodeCtx& c, kernels::ChannelNormParams* p) {
    KILN_TRY(check_float_inputs(c));
    const Shape& x = c.in_shape(0);
    if (x.size() < 2) return c.fail("input has shape {}, expected N x C x ...", shape_str(x));
    *p = kernels::ChannelNormParams{x[0], x[1], shape_numel(Shape(x.begin() + 2, x.end())), 1e-5f};
    for (std::size_t i = 1; i < c.num_inputs(); ++i)
        if (c.has_input(i) && c.in_shape(i) != Shape{x[1]})
            return c.fail("input {} '{}' has shape {}, expected [{}]", i, c.input(i).name, shape_str(c.in_shape(i)),
                          x[1]);
    p->epsilon = c.attr_float("epsilon", 1e-5f);
    return c.status();
}

std::string c_channel_params(const kernels::ChannelNormParams& p) {
    return fmt::format("{{{}, {}, {}, {}}}", p.batch, p.channels, p.spatial, c_float(p.epsilon));
}

// ---- BatchNormalization -------------------------------------------------------------------------

// Only inference is compiled: every opset's way of asking for training statistics is rejected.
Status make_batch_norm(NodeCtx& c, kernels::ChannelNormParams* p) {
    KILN_TRY(make_channel_norm(c, p));
    c.attr_float("momentum", 0.9f);  // only updates running statistics in training
    if (c.opset() < 6) c.attr_ints("consumed_inputs");  // legacy optimizer hint, no effect on results
    if (c.opset() < 7 && c.attr_int("is_test", 0) == 0)
        return c.fail("is_test=0 (training mode) is not supported");
    if (c.opset() < 9 && c.attr_int("spatial", 1) != 1)
        return c.fail("spatial=0 (per-activation statistics) is not supported");
    if (c.opset() >= 14 && c.attr_int("training_mode", 0) != 0)
        return c.fail("training_mode=1 is not supported: Kiln compiles inference");
    KILN_TRY(c.status());
    for (std::size_t i = 1; i < c.num_outputs(); ++i)
        if (c.has_output(i)) return c.fail("output {} (training statistics) is not supported", i);
    return Status::ok();
}

Status infer_batch_norm(InferCtx& c) {
    KILN_TRY(c.require_inputs(5, 5));
    kernels::ChannelNormParams p;
    KILN_TRY(make_batch_norm(c, &p));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_batch_norm(EvalCtx& c) {
    kernels::ChannelNormParams p;
    KILN_TRY(make_batch_norm(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::batch_norm(c.in(0).data<T>(), c.in(1).data<T>(), c.in(2).data<T>(), c.in(3).data<T>(),
                            c.in(4).data<T>(), c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_batch_norm(EmitCtx& c) {
    kernels::ChannelNormParams p;
    KILN_TRY(make_batch_norm(c, &p));
    c.use_kernel("portable/normalization.h");
    std::string name = c.define_params("k::ChannelNormParams", c_channel_params(p));
    c.call("k::batch_norm({}, {}, {}, {}, {}, {}, {});", c.in(0), c.in(1), c.in(2), c.in(3), c.in(4), c.out(0), name);
    return Status::ok();
}

// ---- InstanceNormalization ----------------------------------------------------------------------

Status make_instance_norm(NodeCtx& c, kernels::ChannelNormParams* p) {
    KILN_TRY(make_channel_norm(c, p));
    if (c.opset() < 6) c.attr_ints("consumed_inputs");  // legacy optimizer hint, no effect on results
    return c.status();
}

Status infer_instance_norm(InferCtx& c) {
    KILN_TRY(c.require_inputs(3, 3));
    kernels::ChannelNormParams p;
    KILN_TRY(make_instance_norm(c, &p));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_instance_norm(EvalCtx& c) {
    kernels::ChannelNormParams p;
    KILN_TRY(make_instance_norm(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::instance_norm(c.in(0).data<T>(), c.in(1).data<T>(), c.in(2).data<T>(), c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_instance_norm(EmitCtx& c) {
    kernels::ChannelNormParams p;
    KILN_TRY(make_instance_norm(c, &p));
    c.use_kernel("portable/normalization.h");
    std::string name = c.define_params("k::ChannelNormParams", c_channel_params(p));
    c.call("k::instance_norm({}, {}, {}, {}, {});", c.in(0), c.in(1), c.in(2), c.out(0), name);
    return Status::ok();
}

// ---- LayerNormalization -------------------------------------------------------------------------

struct LayerNormPlan {
    kernels::LayerNormParams params{};
    DType stash = DType::Float32;  // precision of the statistics and dtype of Mean / InvStdDev
    Shape stats_shape;             // X's dims before axis, then 1s
};

Shape without_leading_ones(Shape s) {
    while (!s.empty() && s.front() == 1) s.erase(s.begin());
    return s;
}

// Scale and B broadcast to the normalized dims: a full set of them (leading 1s aside) or one value.
Status param_stride(NodeCtx& c, std::size_t i, const Shape& normalized, int64_t* stride) {
    const Shape& s = c.in_shape(i);
    if (shape_numel(s) == 1 && s.size() <= normalized.size()) {
        *stride = 0;
    } else if (s.size() <= normalized.size() && without_leading_ones(s) == without_leading_ones(normalized)) {
        *stride = 1;
    } else {
        return c.fail("input {} of shape {} does not match the normalized dims {}", i, shape_str(s),
                      shape_str(normalized));
    }
    return Status::ok();
}

Status make_layer_norm(NodeCtx& c, LayerNormPlan* plan) {
    KILN_TRY(check_float_inputs(c));
    const Shape& x = c.in_shape(0);
    const int64_t rank = int64_t(x.size());
    if (rank == 0) return c.fail("input must have at least 1 dim");
    const int64_t axis = c.normalize_axis(c.attr_int("axis", -1), rank);
    const float epsilon = c.attr_float("epsilon", 1e-5f);
    const int64_t stash = c.attr_int("stash_type", 1);
    KILN_TRY(c.status());
    if (stash != int64_t(DType::Float32) && stash != int64_t(DType::Float64))
        return c.fail("stash_type={} is not supported (1 = float, 11 = double)", stash);
    plan->stash = DType(stash);
    const Shape normalized(x.begin() + axis, x.end());
    kernels::LayerNormParams& p = plan->params;
    p.rows = shape_numel(Shape(x.begin(), x.begin() + axis));
    p.cols = shape_numel(normalized);
    p.epsilon = epsilon;
    KILN_TRY(param_stride(c, 1, normalized, &p.scale_stride));
    if (c.has_input(2)) KILN_TRY(param_stride(c, 2, normalized, &p.bias_stride));
    plan->stats_shape = Shape(x.begin(), x.begin() + axis);
    plan->stats_shape.resize(x.size(), 1);
    return Status::ok();
}

Status infer_layer_norm(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 3));
    LayerNormPlan plan;
    KILN_TRY(make_layer_norm(c, &plan));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    c.set_output(1, plan.stash, plan.stats_shape);
    c.set_output(2, plan.stash, plan.stats_shape);
    return c.status();
}

Status eval_layer_norm(EvalCtx& c) {
    LayerNormPlan plan;
    KILN_TRY(make_layer_norm(c, &plan));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        dispatch_float(plan.stash, [&](auto utag) {
            using U = typename decltype(utag)::type;
            kernels::layer_norm(c.in(0).data<T>(), c.in(1).data<T>(), c.has_in(2) ? c.in(2).data<T>() : nullptr,
                                c.out(0).data<T>(), c.has_out(1) ? c.out(1).data<U>() : nullptr,
                                c.has_out(2) ? c.out(2).data<U>() : nullptr, plan.params);
        });
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_layer_norm(EmitCtx& c) {
    LayerNormPlan plan;
    KILN_TRY(make_layer_norm(c, &plan));
    c.use_kernel("portable/normalization.h");
    const kernels::LayerNormParams& p = plan.params;
    std::string name = c.define_params("k::LayerNormParams", fmt::format("{{{}, {}, {}, {}, {}}}", p.rows, p.cols,
                                                                         p.scale_stride, p.bias_stride,
                                                                         c_float(p.epsilon)));
    const std::string t = c.in_ctype(0), u = dtype_ctype(plan.stash);
    auto opt_out = [&](std::size_t i) {
        return c.has_output(i) ? c.out(i) : fmt::format("static_cast<{}*>(nullptr)", u);
    };
    std::string bias = c.has_input(2) ? c.in(2) : fmt::format("static_cast<const {}*>(nullptr)", t);
    c.call("k::layer_norm<{}, {}>({}, {}, {}, {}, {}, {}, {});", t, u, c.in(0), c.in(1), bias, c.out(0), opt_out(1),
           opt_out(2), name);
    return Status::ok();
}

// ---- LRN ----------------------------------------------------------------------------------------

Status make_lrn(NodeCtx& c, kernels::LrnParams* p) {
    KILN_TRY(check_float_inputs(c));
    const Shape& x = c.in_shape(0);
    if (x.size() < 2) return c.fail("input has shape {}, expected N x C x ...", shape_str(x));
    if (!c.has_attr("size")) return c.fail("attribute 'size' is required");
    *p = kernels::LrnParams{x[0], x[1], shape_numel(Shape(x.begin() + 2, x.end())), c.attr_int("size", 1),
                            c.attr_float("alpha", 1e-4f), c.attr_float("beta", 0.75f), c.attr_float("bias", 1.0f)};
    KILN_TRY(c.status());
    if (p->size < 1) return c.fail("attribute size={} is not positive", p->size);
    return Status::ok();
}

Status infer_lrn(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    kernels::LrnParams p;
    KILN_TRY(make_lrn(c, &p));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_lrn(EvalCtx& c) {
    kernels::LrnParams p;
    KILN_TRY(make_lrn(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::lrn(c.in(0).data<T>(), c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_lrn(EmitCtx& c) {
    kernels::LrnParams p;
    KILN_TRY(make_lrn(c, &p));
    c.use_kernel("portable/normalization.h");
    std::string init = fmt::format("{{{}, {}, {}, {}, {}, {}, {}}}", p.batch, p.channels, p.spatial, p.size,
                                   c_float(p.alpha), c_float(p.beta), c_float(p.bias));
    std::string name = c.define_params("k::LrnParams", init);
    c.call("k::lrn({}, {}, {});", c.in(0), c.out(0), name);
    return Status::ok();
}

// ---- MeanVarianceNormalization ------------------------------------------------------------------

// Splits X's dims into kept and reduced ones with their strides, merging neighbours of the same kind
// (NCHW with axes [0, 2, 3] becomes kept [C] and reduced [N, H*W]).
Status make_mvn(NodeCtx& c, kernels::MvnParams* p) {
    KILN_TRY(check_float_inputs(c));
    const Shape& x = c.in_shape(0);
    const int64_t rank = int64_t(x.size());
    if (rank > kernels::kMaxRank) return c.fail("rank {} is above the supported {}", rank, kernels::kMaxRank);
    std::vector<int64_t> axes = c.attr_ints("axes", {0, 2, 3});
    KILN_TRY(c.status());
    std::vector<bool> reduced(std::size_t(rank), false);
    for (int64_t a : axes) reduced[std::size_t(c.normalize_axis(a, rank))] = true;
    KILN_TRY(c.status());
    *p = kernels::MvnParams{};
    int64_t last_dim[2] = {-2, -2};  // last dim appended to the kept (0) / reduced (1) list
    for (int64_t d = 0; d < rank; ++d) {
        const int64_t size = x[std::size_t(d)];
        if (size == 1) continue;
        const int64_t stride = shape_numel(Shape(x.begin() + d + 1, x.end()));
        const int kind = reduced[std::size_t(d)] ? 1 : 0;
        int32_t& n = kind ? p->reduced_rank : p->kept_rank;
        int64_t* dims = kind ? p->reduced_dims : p->kept_dims;
        int64_t* strides = kind ? p->reduced_strides : p->kept_strides;
        if (last_dim[kind] == d - 1 && n > 0) {
            dims[n - 1] *= size;
            strides[n - 1] = stride;
        } else {
            dims[n] = size;
            strides[n] = stride;
            ++n;
        }
        last_dim[kind] = d;
    }
    return Status::ok();
}

std::string c_mvn_params(const kernels::MvnParams& p) {
    auto list = [](const int64_t* v, int32_t n) {
        return fmt::format("{{{}}}", fmt::join(std::vector<int64_t>(v, v + std::max<int32_t>(n, 1)), ", "));
    };
    return fmt::format("{{{}, {}, {}, {}, {}, {}}}", p.kept_rank, p.reduced_rank, list(p.kept_dims, p.kept_rank),
                       list(p.kept_strides, p.kept_rank), list(p.reduced_dims, p.reduced_rank),
                       list(p.reduced_strides, p.reduced_rank));
}

Status infer_mvn(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    kernels::MvnParams p;
    KILN_TRY(make_mvn(c, &p));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_mvn(EvalCtx& c) {
    kernels::MvnParams p;
    KILN_TRY(make_mvn(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::mean_variance_norm(c.in(0).data<T>(), c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_mvn(EmitCtx& c) {
    kernels::MvnParams p;
    KILN_TRY(make_mvn(c, &p));
    c.use_kernel("portable/normalization.h");
    std::string name = c.define_params("k::MvnParams", c_mvn_params(p));
    c.call("k::mean_variance_norm({}, {}, {});", c.in(0), c.out(0), name);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP_INPLACE(BatchNormalization, infer_batch_norm, eval_batch_norm, emit_batch_norm, inplace_unary)
KILN_DEFINE_OP(InstanceNormalization, infer_instance_norm, eval_instance_norm, emit_instance_norm)
KILN_DEFINE_OP(LayerNormalization, infer_layer_norm, eval_layer_norm, emit_layer_norm)
KILN_DEFINE_OP(LRN, infer_lrn, eval_lrn, emit_lrn)
KILN_DEFINE_OP(MeanVarianceNormalization, infer_mvn, eval_mvn, emit_mvn)
