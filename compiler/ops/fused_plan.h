// The fused layers' epilogue and Gemm parameters as fused.cpp computes them, for target backends that
// emit the same layers with their own kernels (backends/x86).
#pragma once

#include "backends/portable/kernels/epilogue.h"
#include "backends/portable/kernels/gemm.h"
#include "ops/conv_plan.h"
#include "ops/op_context.h"

namespace kiln {

// The `activation` / `activation_params` attributes of a fused layer (none when absent, as on Conv/Gemm).
Status make_epilogue(NodeCtx& c, kernels::Epilogue* e);

// kiln.PointwiseDepthwise: both stages' plans (make_pointwise_depthwise_plan), the residual (input 5), the 1x1
// stage's epilogue (`pointwise_activation` / `pointwise_activation_params`) and the depthwise stage's
// (`activation` / `activation_params`).
Status make_pointwise_depthwise(NodeCtx& c, ConvPlan* pw, ConvPlan* dw, kernels::Epilogue* e1, kernels::Epilogue* e2);

// kiln.InvertedResidual: the three stages' plans (make_inverted_residual_plan), the residual (input 7, on the
// projection's output) and the epilogues: `pointwise_activation(_params)` (expansion), `depthwise_activation(_params)`
// and `activation(_params)` (projection, after the residual).
Status make_inverted_residual(NodeCtx& c, ConvPlan* pw, ConvPlan* dw, ConvPlan* pj, kernels::Epilogue* e1,
                              kernels::Epilogue* e2, kernels::Epilogue* e3);

struct GemmPlan {
    kernels::GemmParams params{};
    Shape out;
};

// Gemm / FusedGemm: shapes, transposes, alpha/beta, C's broadcast, the residual and the epilogue.
Status make_fused_gemm(NodeCtx& c, GemmPlan* plan, kernels::Epilogue* e);

}  // namespace kiln
