// kiln.ElementwiseChain parameters as elementwise_chain.cpp computes them, for target backends that run the same
// nodes with their own kernels (backends/x86).
#pragma once

#include <string>

#include "backends/portable/kernels/elementwise_chain.h"
#include "ops/op_context.h"

namespace kiln {

// Reads and validates every attribute and input of a chain node: the kernel parameters.
Status make_chain_params(NodeCtx& c, kernels::ChainParams* p);
// A plain binary node (Add, Sub, Mul, Div: `op` its kChain step) as a one-step chain: *running is the input of
// the output's shape that the chain starts from (the other input is the step's operand, `swap` when it is the
// left argument); false when neither input has the output's shape or the other one is not a scalar, per-channel
// or same-shape operand (elementwise_chain.cpp's rule).
bool binary_as_chain(NodeCtx& c, int32_t op, kernels::ChainParams* p, std::size_t* running);
// The aggregate initializer of k::ChainParams (steps by enumerator name, as generated code spells them).
std::string c_chain_params(const kernels::ChainParams& p);

}  // namespace kiln
