// Conv and ConvTranspose parameters as conv.cpp computes them, for the fused convolutions (fused.cpp)
// that read the same attributes and run the same kernels with an epilogue.
#pragma once

#include <string>

#include "backends/portable/kernels/conv.h"
#include "ops/op_context.h"

namespace kiln {

// The node's kernel and output shape in the form the kernel takes; computed the same way for shape
// inference, evaluation and emission.
struct ConvPlan {
    kernels::ConvParams params{};
    Shape out;
};

// Reads the node's Conv (ConvTranspose) attributes and checks X, W and the bias (inputs 0-2).
Status make_conv_plan(NodeCtx& c, ConvPlan* plan);
Status make_conv_transpose_plan(NodeCtx& c, ConvPlan* plan);
// kiln.PointwiseDepthwise (fused.cpp): the 1x1 stage (inputs X, W1, B1?) and the depthwise stage (the node's Conv
// attributes, inputs Wd, Bd?) over the 1x1 stage's output.
Status make_pointwise_depthwise_plan(NodeCtx& c, ConvPlan* pw, ConvPlan* dw);
// kiln.InvertedResidual (fused.cpp): the same two stages and the 1x1 projection (inputs W2, B2?) over the depthwise
// stage's output.
Status make_inverted_residual_plan(NodeCtx& c, ConvPlan* pw, ConvPlan* dw, ConvPlan* pj);
// The aggregate initializer of k::ConvParams.
std::string conv_params_init(const kernels::ConvParams& p);

}  // namespace kiln
