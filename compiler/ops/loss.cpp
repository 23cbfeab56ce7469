// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12 and 13): scores [N, C, d1..dk], int32 or
// int64 labels [N, d1..dk], optional class weights [C], ignore_index, reduction none/sum/mean, and
// SoftmaxCrossEntropyLoss's optional log_prob output. Kernels: backends/portable/kernels/loss.h.
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/loss.h"
#include "ops/elementwise.h"
#include "ops/float_io.h"
#include "ops/registry.h"

namespace kiln {
namespace {

bool is_sce(const NodeCtx& c) { return c.node().op_type == "SoftmaxCrossEntropyLoss"; }

Status make_loss_params(NodeCtx& c, kernels::LossParams* p) {
    const char* labels = is_sce(c) ? "labels" : "target";
    const Shape& x = c.in_shape(0);
    if (x.size() < 2) return c.fail("scores have shape {}; expected [N, C, d1..dk] of rank 2 or more", shape_str(x));
    Shape expected = x;
    expected.erase(expected.begin() + 1);
    if (c.in_shape(1) != expected)
        return c.fail("{} have shape {}; expected {} (the scores' shape {} without the class dim)", labels,
                      shape_str(c.in_shape(1)), shape_str(expected), shape_str(x));
    const int64_t classes = x[1];
    if (classes == 0) return c.fail("scores have shape {}: there are no classes", shape_str(x));
    if (c.has_input(2) && c.in_shape(2) != Shape{classes})
        return c.fail("weights have shape {}; expected [{}] (one per class)", shape_str(c.in_shape(2)), classes);
    const std::string reduction = c.attr_string("reduction", "mean");
    int32_t r = kernels::kLossMean;
    if (reduction == "none") r = kernels::kLossNone;
    else if (reduction == "sum") r = kernels::kLossSum;
    else if (reduction != "mean") return c.fail("attribute reduction='{}' is not one of none, sum, mean", reduction);
    const bool has_ignore = c.has_attr("ignore_index");
    const int64_t ignore = c.attr_int("ignore_index", 0);
    KILN_TRY(c.status());
    int64_t d = 1;
    for (std::size_t i = 2; i < x.size(); ++i) d *= x[i];
    *p = kernels::LossParams{x[0], classes, d, ignore, int32_t(has_ignore), r};
    return Status::ok();
}

Status infer_loss(InferCtx& c) {
    const bool sce = is_sce(c);
    KILN_TRY(c.require_inputs(2, 3));
    const DType t = c.in_dtype(0);
    // bfloat16 scores are allowed for SoftmaxCrossEntropyLoss from opset 13 only.
    const bool bf16_ok = sce && c.opset() >= 13;
    if (!type_in_set(t, kAnyFloat) || (t == DType::BFloat16 && !bf16_ok)) return type_error(c, 0);
    if (c.in_dtype(1) != DType::Int32 && c.in_dtype(1) != DType::Int64) return type_error(c, 1);
    if (c.has_input(2) && c.in_dtype(2) != t)
        return c.fail("weights have type {}; expected the scores' type {}", dtype_name(c.in_dtype(2)), dtype_name(t));
    kernels::LossParams p;
    KILN_TRY(make_loss_params(c, &p));
    c.set_output(0, t, p.reduction == kernels::kLossNone ? c.in_shape(1) : Shape{});
    if (c.num_outputs() > 1 && !sce) return c.fail("has {} outputs; expected 1", c.num_outputs());
    if (c.num_outputs() > 2) return c.fail("has {} outputs; expected at most 2", c.num_outputs());
    if (c.has_output(1)) c.set_output(1, t, c.in_shape(0));
    return c.status();
}

Status eval_loss(EvalCtx& c) {
    kernels::LossParams p;
    KILN_TRY(make_loss_params(c, &p));
    const bool sce = is_sce(c);
    const bool ok = dispatch_map<kAnyFloat>(c.in(0).dtype(), [&](auto tag, auto adapter) {
        using T = typename decltype(tag)::type;
        using Io = typename IoFor<decltype(adapter), T>::type;
        const T* x = c.in(0).data<T>();
        const T* w = c.has_in(2) ? c.in(2).data<T>() : nullptr;
        T* loss = c.out(0).data<T>();
        auto run = [&](auto label_tag) {
            using I = typename decltype(label_tag)::type;
            const I* labels = c.in(1).data<I>();
            if (sce) {
                T* log_prob = c.has_out(1) ? c.out(1).data<T>() : nullptr;
                kernels::softmax_cross_entropy<Io>(x, labels, w, loss, log_prob, p);
            } else {
                kernels::nll_loss<Io>(x, labels, w, loss, p);
            }
        };
        if (c.in(1).dtype() == DType::Int32) run(TypeTag<int32_t>{});
        else run(TypeTag<int64_t>{});
    });
    return ok ? Status::ok() : type_error(c, 0);
}

Status emit_loss(EmitCtx& c) {
    kernels::LossParams p;
    KILN_TRY(make_loss_params(c, &p));
    if (p.reduction == kernels::kLossNone && p.n * p.d == 0) return Status::ok();  // nothing to write
    c.use_kernel("portable/loss.h");
    const std::string params =
        c.define_params("k::LossParams", fmt::format("{{{}, {}, {}, {}, {}, {}}}", p.n, p.c, p.d, p.ignore_index,
                                                     p.has_ignore_index, p.reduction));
    // Explicit template arguments: an absent weight or log_prob is a plain nullptr.
    const std::string targs = fmt::format("{}, {}, {}", io_expr(c.in_dtype(0)), c.in_ctype(0), c.in_ctype(1));
    const std::string weight = c.has_input(2) ? c.in(2) : "nullptr";
    if (is_sce(c))
        c.call("k::softmax_cross_entropy<{}>({}, {}, {}, {}, {}, {});", targs, c.in(0), c.in(1), weight, c.out(0),
               c.has_output(1) ? c.out(1) : "nullptr", params);
    else
        c.call("k::nll_loss<{}>({}, {}, {}, {}, {});", targs, c.in(0), c.in(1), weight, c.out(0), params);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(NegativeLogLikelihoodLoss, infer_loss, eval_loss, emit_loss)
KILN_DEFINE_OP(SoftmaxCrossEntropyLoss, infer_loss, eval_loss, emit_loss)
