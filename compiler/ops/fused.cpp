// Kiln-internal fused layers that only passes create (fuse-epilogue, fuse-matmul-add): FusedConv,
// FusedConvTranspose and FusedGemm compute act(layer(x) + bias + z) in one kernel call, z an optional
// residual of the output's shape. Kernels: portable/conv.h, portable/gemm.h with portable/epilogue.h.
//
// Attributes: those of Conv / ConvTranspose / Gemm, plus `activation` (string: "" for none, Relu, Clip,
// LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Silu = x * sigmoid(x), Tanh) and `activation_params`
// (floats: Clip [min, max], LeakyRelu [alpha], HardSigmoid [alpha, beta], none otherwise).
// FusedGemm also takes A of rank > 2 (transA = 0): its leading dims are rows, so Y = A[..., K] x B[K, N]
// has shape [..., N]; that is MatMul with a 2-D B, which fuse-matmul-add uses for N-D activations.
// PointwiseDepthwise (fuse-pointwise-depthwise) and InvertedResidual (fuse-inverted-residual), x86 targets only:
// a 1x1 convolution and the depthwise one reading it, and that pair with the 1x1 projection of its output; each
// stage has its own epilogue (portable/pointwise_depthwise.h, portable/inverted_residual.h).
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/epilogue.h"
#include "backends/portable/kernels/gemm.h"
#include "backends/portable/kernels/inverted_residual.h"
#include "backends/portable/kernels/pointwise_depthwise.h"
#include "ops/conv_plan.h"
#include "ops/fused_plan.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

struct ActivationInfo {
    const char* name;
    kernels::EpilogueActivation code;
    std::size_t num_params;
};

const ActivationInfo kActivations[] = {
    {"", kernels::kActNone, 0},          {"Relu", kernels::kActRelu, 0},
    {"Clip", kernels::kActClip, 2},      {"LeakyRelu", kernels::kActLeakyRelu, 1},
    {"Sigmoid", kernels::kActSigmoid, 0}, {"HardSigmoid", kernels::kActHardSigmoid, 2},
    {"HardSwish", kernels::kActHardSwish, 0}, {"Silu", kernels::kActSilu, 0},
    {"Tanh", kernels::kActTanh, 0},
};

// The residual Z (input `index`, optional) must have exactly the output's dtype and shape.
Status check_residual(NodeCtx& c, std::size_t index, const Shape& out) {
    if (!c.has_input(index)) return Status::ok();
    if (c.in_dtype(index) != c.in_dtype(0))
        return c.fail("residual Z has type {}, expected {}", dtype_name(c.in_dtype(index)), dtype_name(c.in_dtype(0)));
    if (c.in_shape(index) != out)
        return c.fail("residual Z has shape {}, expected the output's {}", shape_str(c.in_shape(index)), shape_str(out));
    return Status::ok();
}

std::string epilogue_init(const kernels::Epilogue& e) {
    return fmt::format("{{{}, {}, {}}}", e.activation, c_float(e.p0), c_float(e.p1));
}

std::string optional_input(EmitCtx& c, std::size_t i) {
    return c.has_input(i) ? c.in(i) : fmt::format("static_cast<const {}*>(nullptr)", c.in_ctype(0));
}

template <typename T>
const T* optional_data(EvalCtx& c, std::size_t i) {
    return c.has_in(i) ? c.in(i).data<T>() : nullptr;
}

// ---- FusedConv, FusedConvTranspose: inputs X, W, B?, Z? ------------------------------------------

using MakeConv = Status (*)(NodeCtx&, ConvPlan*);

Status make_fused_conv(NodeCtx& c, MakeConv make, ConvPlan* plan, kernels::Epilogue* e) {
    KILN_TRY(make(c, plan));
    KILN_TRY(check_residual(c, 3, plan->out));
    return make_epilogue(c, e);
}

template <MakeConv Make>
Status infer_fused_conv(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 4));
    ConvPlan plan;
    kernels::Epilogue e{};
    KILN_TRY(make_fused_conv(c, Make, &plan, &e));
    c.set_output(0, c.in_dtype(0), plan.out);
    return c.status();
}

template <MakeConv Make, bool Transposed>
Status eval_fused_conv(EvalCtx& c) {
    ConvPlan plan;
    kernels::Epilogue e{};
    KILN_TRY(make_fused_conv(c, Make, &plan, &e));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        auto kernel = Transposed ? kernels::conv_transpose_fused<T> : kernels::conv_fused<T>;
        kernel(c.in(0).data<T>(), c.in(1).data<T>(), optional_data<T>(c, 2), optional_data<T>(c, 3),
               c.out(0).data<T>(), plan.params, e);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

template <MakeConv Make, bool Transposed>
Status emit_fused_conv(EmitCtx& c) {
    ConvPlan plan;
    kernels::Epilogue e{};
    KILN_TRY(make_fused_conv(c, Make, &plan, &e));
    c.use_kernel("portable/conv.h");
    std::string p = c.define_params("k::ConvParams", conv_params_init(plan.params));
    std::string ep = c.define_params("k::Epilogue", epilogue_init(e), "epilogue");
    c.call("k::{}({}, {}, {}, {}, {}, {}, {});", Transposed ? "conv_transpose_fused" : "conv_fused", c.in(0),
           c.in(1), optional_input(c, 2), optional_input(c, 3), c.out(0), p, ep);
    return Status::ok();
}

// As Conv: every output element takes (C / group) x kernel-size multiply-adds.
int64_t fused_conv_macs(NodeCtx& c) {
    const Shape& w = c.in_shape(1);
    return shape_numel(c.out_shape(0)) * shape_numel(Shape(w.begin() + 1, w.end()));
}

// As ConvTranspose: every input element is spread over (M / group) x kernel-size outputs.
int64_t fused_conv_transpose_macs(NodeCtx& c) {
    const Shape& w = c.in_shape(1);
    return shape_numel(c.in_shape(0)) * shape_numel(Shape(w.begin() + 1, w.end()));
}

// ---- PointwiseDepthwise: inputs X, W1, B1?, Wd, Bd?, Z? -------------------------------------------

Status infer_pointwise_depthwise(InferCtx& c) {
    ConvPlan pw, dw;
    kernels::Epilogue e1{}, e2{};
    KILN_TRY(make_pointwise_depthwise(c, &pw, &dw, &e1, &e2));
    c.set_output(0, c.in_dtype(0), dw.out);
    return c.status();
}

Status eval_pointwise_depthwise(EvalCtx& c) {
    ConvPlan pw, dw;
    kernels::Epilogue e1{}, e2{};
    KILN_TRY(make_pointwise_depthwise(c, &pw, &dw, &e1, &e2));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::vector<T> plane(std::size_t(kernels::window_in_size(pw.params.win)));
        kernels::pointwise_depthwise(c.in(0).data<T>(), c.in(1).data<T>(), optional_data<T>(c, 2), c.in(3).data<T>(),
                                     optional_data<T>(c, 4), optional_data<T>(c, 5), c.out(0).data<T>(), pw.params, e1,
                                     dw.params, e2, plane.data());
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_pointwise_depthwise(EmitCtx& c) {
    ConvPlan pw, dw;
    kernels::Epilogue e1{}, e2{};
    KILN_TRY(make_pointwise_depthwise(c, &pw, &dw, &e1, &e2));
    c.use_kernel("portable/pointwise_depthwise.h");
    const std::string p1 = c.define_params("k::ConvParams", conv_params_init(pw.params), "pw");
    const std::string p2 = c.define_params("k::ConvParams", conv_params_init(dw.params), "dw");
    const std::string ep1 = c.define_params("k::Epilogue", epilogue_init(e1), "pw_epilogue");
    const std::string ep2 = c.define_params("k::Epilogue", epilogue_init(e2), "epilogue");
    c.call("k::pointwise_depthwise({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});", c.in(0), c.in(1),
           optional_input(c, 2), c.in(3), optional_input(c, 4), optional_input(c, 5), c.out(0), p1, ep1, p2, ep2,
           c.workspace(c.in_ctype(0)));
    return Status::ok();
}

// The 1x1 stage's multiply-adds plus the depthwise stage's.
int64_t pointwise_depthwise_macs(NodeCtx& c) {
    ConvPlan pw, dw;
    kernels::Epilogue e1{}, e2{};
    if (!make_pointwise_depthwise(c, &pw, &dw, &e1, &e2)) return 0;
    const Shape& wd = c.in_shape(3);
    return shape_numel(pw.out) * pw.params.in_channels + shape_numel(dw.out) * wd[2] * wd[3];
}

// One plane of the 1x1 stage's output.
std::size_t pointwise_depthwise_workspace(NodeCtx& c) {
    ConvPlan pw, dw;
    kernels::Epilogue e1{}, e2{};
    if (!make_pointwise_depthwise(c, &pw, &dw, &e1, &e2)) return 0;
    return std::size_t(kernels::window_in_size(pw.params.win)) * dtype_size(c.in_dtype(0));
}

// ---- InvertedResidual: inputs X, W1, B1?, Wd, Bd?, W2, B2?, Z? ----------------------------------------

struct InvertedResidualPlan {
    ConvPlan pw, dw, pj;
    kernels::Epilogue e1{}, e2{}, e3{};
};

Status make_inverted_residual_node(NodeCtx& c, InvertedResidualPlan* p) {
    return make_inverted_residual(c, &p->pw, &p->dw, &p->pj, &p->e1, &p->e2, &p->e3);
}

Status infer_inverted_residual(InferCtx& c) {
    InvertedResidualPlan p;
    KILN_TRY(make_inverted_residual_node(c, &p));
    c.set_output(0, c.in_dtype(0), p.pj.out);
    return c.status();
}

Status eval_inverted_residual(EvalCtx& c) {
    InvertedResidualPlan p;
    KILN_TRY(make_inverted_residual_node(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::vector<T> ws(std::size_t(kernels::inverted_residual_workspace(p.pw.params, p.dw.params)));
        kernels::inverted_residual(c.in(0).data<T>(), c.in(1).data<T>(), optional_data<T>(c, 2), c.in(3).data<T>(),
                                   optional_data<T>(c, 4), c.in(5).data<T>(), optional_data<T>(c, 6),
                                   optional_data<T>(c, 7), c.out(0).data<T>(), p.pw.params, p.e1, p.dw.params, p.e2,
                                   p.pj.params, p.e3, ws.data());
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_inverted_residual(EmitCtx& c) {
    InvertedResidualPlan p;
    KILN_TRY(make_inverted_residual_node(c, &p));
    c.use_kernel("portable/inverted_residual.h");
    const std::string p1 = c.define_params("k::ConvParams", conv_params_init(p.pw.params), "pw");
    const std::string p2 = c.define_params("k::ConvParams", conv_params_init(p.dw.params), "dw");
    const std::string p3 = c.define_params("k::ConvParams", conv_params_init(p.pj.params), "proj");
    const std::string ep1 = c.define_params("k::Epilogue", epilogue_init(p.e1), "pw_epilogue");
    const std::string ep2 = c.define_params("k::Epilogue", epilogue_init(p.e2), "dw_epilogue");
    const std::string ep3 = c.define_params("k::Epilogue", epilogue_init(p.e3), "epilogue");
    c.call("k::inverted_residual({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});", c.in(0), c.in(1),
           optional_input(c, 2), c.in(3), optional_input(c, 4), c.in(5), optional_input(c, 6), optional_input(c, 7),
           c.out(0), p1, ep1, p2, ep2, p3, ep3, c.workspace(c.in_ctype(0)));
    return Status::ok();
}

// The three stages' multiply-adds.
int64_t inverted_residual_macs(NodeCtx& c) {
    InvertedResidualPlan p;
    if (!make_inverted_residual_node(c, &p)) return 0;
    const Shape& wd = c.in_shape(3);
    return shape_numel(p.pw.out) * p.pw.params.in_channels + shape_numel(p.dw.out) * wd[2] * wd[3] +
           shape_numel(p.pj.out) * p.pj.params.in_channels;
}

// One plane of the expansion and one image's depthwise output.
std::size_t inverted_residual_workspace(NodeCtx& c) {
    InvertedResidualPlan p;
    if (!make_inverted_residual_node(c, &p)) return 0;
    return std::size_t(kernels::inverted_residual_workspace(p.pw.params, p.dw.params)) * dtype_size(c.in_dtype(0));
}

// ---- FusedGemm: inputs A, B, C?, Z? ---------------------------------------------------------------

Status infer_fused_gemm(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 4));
    GemmPlan plan;
    kernels::Epilogue e{};
    KILN_TRY(make_fused_gemm(c, &plan, &e));
    c.set_output(0, c.in_dtype(0), plan.out);
    return c.status();
}

Status eval_fused_gemm(EvalCtx& c) {
    GemmPlan plan;
    kernels::Epilogue e{};
    KILN_TRY(make_fused_gemm(c, &plan, &e));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::gemm_fused(c.in(0).data<T>(), c.in(1).data<T>(), optional_data<T>(c, 2), optional_data<T>(c, 3),
                            c.out(0).data<T>(), plan.params, e);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_fused_gemm(EmitCtx& c) {
    GemmPlan plan;
    kernels::Epilogue e{};
    KILN_TRY(make_fused_gemm(c, &plan, &e));
    const kernels::GemmParams& p = plan.params;
    c.use_kernel("portable/gemm.h");
    std::string name = c.define_params(
        "k::GemmParams", fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}}}", p.m, p.n, p.k, p.trans_a,
                                     p.trans_b, c_float(p.alpha), c_float(p.beta), p.has_c, p.c_row_stride,
                                     p.c_col_stride));
    std::string ep = c.define_params("k::Epilogue", epilogue_init(e), "epilogue");
    c.call("k::gemm_fused({}, {}, {}, {}, {}, {}, {});", c.in(0), c.in(1), optional_input(c, 2),
           optional_input(c, 3), c.out(0), name, ep);
    return Status::ok();
}

// Y holds M x N elements, each a K-long dot product.
int64_t fused_gemm_macs(NodeCtx& c) {
    const Shape& a = c.in_shape(0);
    const bool ta = c.attr_int("transA", 0) != 0;
    return a.size() < 2 ? 0 : shape_numel(c.out_shape(0)) * (ta ? a[0] : a.back());
}

// The output may overwrite the residual Z (the kernels read each channel/row of Z only to initialise the same
// channel/row of Y), unless Z is also the layer's X, weights or bias: those are read after Y is written.
int inplace_residual(NodeCtx& c) {
    if (!c.has_input(3)) return -1;
    for (std::size_t i = 0; i < 3; ++i)
        if (c.has_input(i) && c.node().inputs[i] == c.node().inputs[3]) return -1;
    return c.in_shape(3) == c.out_shape(0) && c.in_dtype(3) == c.out_dtype(0) ? 3 : -1;
}

}  // namespace

namespace {

// The epilogue named by the attributes `act_attr` (string) and `params_attr` (floats).
Status epilogue_from(NodeCtx& c, const char* act_attr, const char* params_attr, kernels::Epilogue* e) {
    const std::string act = c.attr_string(act_attr, "");
    const std::vector<float> params = c.attr_floats(params_attr);
    KILN_TRY(c.status());
    for (const ActivationInfo& a : kActivations) {
        if (act != a.name) continue;
        if (params.size() != a.num_params)
            return c.fail("{} '{}' takes {} {}, got {}", act_attr, act, a.num_params, params_attr, params.size());
        *e = kernels::Epilogue{a.code, params.size() > 0 ? params[0] : 0.0f, params.size() > 1 ? params[1] : 0.0f};
        return Status::ok();
    }
    return c.fail("{} '{}' is not supported", act_attr, act);
}

}  // namespace

Status make_epilogue(NodeCtx& c, kernels::Epilogue* e) {
    return epilogue_from(c, "activation", "activation_params", e);
}

Status make_pointwise_depthwise(NodeCtx& c, ConvPlan* pw, ConvPlan* dw, kernels::Epilogue* e1, kernels::Epilogue* e2) {
    KILN_TRY(make_pointwise_depthwise_plan(c, pw, dw));
    KILN_TRY(check_residual(c, 5, dw->out));
    KILN_TRY(epilogue_from(c, "pointwise_activation", "pointwise_activation_params", e1));
    return make_epilogue(c, e2);
}

Status make_inverted_residual(NodeCtx& c, ConvPlan* pw, ConvPlan* dw, ConvPlan* pj, kernels::Epilogue* e1,
                              kernels::Epilogue* e2, kernels::Epilogue* e3) {
    KILN_TRY(make_inverted_residual_plan(c, pw, dw, pj));
    KILN_TRY(check_residual(c, 7, pj->out));
    KILN_TRY(epilogue_from(c, "pointwise_activation", "pointwise_activation_params", e1));
    KILN_TRY(epilogue_from(c, "depthwise_activation", "depthwise_activation_params", e2));
    return make_epilogue(c, e3);
}

Status make_fused_gemm(NodeCtx& c, GemmPlan* plan, kernels::Epilogue* e) {
    const DType t = c.in_dtype(0);
    if (t != DType::Float32 && t != DType::Float64)
        return c.fail("input A has type {}; float and double are supported", dtype_name(t));
    for (std::size_t i = 1; i < 3; ++i)
        if (c.has_input(i) && c.in_dtype(i) != t)
            return c.fail("input {} has type {}, expected {} like A", i, dtype_name(c.in_dtype(i)), dtype_name(t));
    const Shape& a = c.in_shape(0);
    const Shape& b = c.in_shape(1);
    const bool ta = c.attr_int("transA", 0) != 0, tb = c.attr_int("transB", 0) != 0;
    const float alpha = c.attr_float("alpha", 1.0f), beta = c.attr_float("beta", 1.0f);
    KILN_TRY(c.status());
    if (a.size() < 2 || b.size() != 2 || (ta && a.size() != 2))
        return c.fail("A {} (transA={}) and B {} must be a matrix (or rows x K) and a matrix", shape_str(a), int(ta),
                      shape_str(b));
    kernels::GemmParams& p = plan->params;
    p = kernels::GemmParams{};
    p.m = ta ? a[1] : shape_numel(Shape(a.begin(), a.end() - 1));
    p.k = ta ? a[0] : a.back();
    p.n = tb ? b[0] : b[1];
    if ((tb ? b[1] : b[0]) != p.k)
        return c.fail("inner dims do not match: A {} (transA={}) and B {} (transB={})", shape_str(a), int(ta),
                      shape_str(b), int(tb));
    p.trans_a = ta;
    p.trans_b = tb;
    p.alpha = alpha;
    p.beta = beta;
    plan->out = ta ? Shape{p.m} : Shape(a.begin(), a.end() - 1);
    plan->out.push_back(p.n);
    if (c.has_input(2)) {
        // C broadcasts to M x N as in Gemm: right-aligned, each dim 1 or equal.
        Shape cs = c.in_shape(2);
        if (cs.size() > 2) return c.fail("C has shape {}, expected at most 2 dims", shape_str(cs));
        while (cs.size() < 2) cs.insert(cs.begin(), 1);
        if ((cs[0] != 1 && cs[0] != p.m) || (cs[1] != 1 && cs[1] != p.n))
            return c.fail("C of shape {} does not broadcast to {}x{}", shape_str(c.in_shape(2)), p.m, p.n);
        p.has_c = 1;
        p.c_row_stride = cs[0] == 1 ? 0 : cs[1];
        p.c_col_stride = cs[1] == 1 ? 0 : 1;
    }
    KILN_TRY(check_residual(c, 3, plan->out));
    return make_epilogue(c, e);
}

}  // namespace kiln

KILN_DEFINE_OP_FULL(FusedConv, infer_fused_conv<make_conv_plan>, (eval_fused_conv<make_conv_plan, false>),
                    (emit_fused_conv<make_conv_plan, false>), fused_conv_macs, nullptr, inplace_residual)
KILN_DEFINE_OP_FULL(FusedConvTranspose, infer_fused_conv<make_conv_transpose_plan>,
                    (eval_fused_conv<make_conv_transpose_plan, true>),
                    (emit_fused_conv<make_conv_transpose_plan, true>), fused_conv_transpose_macs, nullptr,
                    inplace_residual)
KILN_DEFINE_OP_WORKSPACE(PointwiseDepthwise, infer_pointwise_depthwise, eval_pointwise_depthwise,
                         emit_pointwise_depthwise, pointwise_depthwise_macs, pointwise_depthwise_workspace)
KILN_DEFINE_OP_WORKSPACE(InvertedResidual, infer_inverted_residual, eval_inverted_residual, emit_inverted_residual,
                         inverted_residual_macs, inverted_residual_workspace)
KILN_DEFINE_OP_FULL(FusedGemm, infer_fused_gemm, eval_fused_gemm, emit_fused_gemm, fused_gemm_macs, nullptr,
                    inplace_residual)
