// The fused layers' epilogue and Gemm parameters as fused.cpp computes them, for target backends that
// emit the same layers with their own kernels (backends/x86).
#pragma once

#include "backends/portable/kernels/epilogue.h"
#include "backends/portable/kernels/gemm.h"
#include "ops/op_context.h"

namespace kiln {

// The `activation` / `activation_params` attributes of a fused layer (none when absent, as on Conv/Gemm).
Status make_epilogue(NodeCtx& c, kernels::Epilogue* e);

struct GemmPlan {
    kernels::GemmParams params{};
    Shape out;
};

// Gemm / FusedGemm: shapes, transposes, alpha/beta, C's broadcast, the residual and the epilogue.
Status make_fused_gemm(NodeCtx& c, GemmPlan* plan, kernels::Epilogue* e);

}  // namespace kiln
