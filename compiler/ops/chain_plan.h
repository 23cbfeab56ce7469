// kiln.ElementwiseChain parameters as elementwise_chain.cpp computes them, for target backends that run the same
// nodes with their own kernels (backends/x86).
#pragma once

#include <string>

#include "backends/portable/kernels/elementwise_chain.h"
#include "ops/op_context.h"

namespace kiln {

// Reads and validates every attribute and input of a chain node: the kernel parameters.
Status make_chain_params(NodeCtx& c, kernels::ChainParams* p);
// The aggregate initializer of k::ChainParams (steps by enumerator name, as generated code spells them).
std::string c_chain_params(const kernels::ChainParams& p);

}  // namespace kiln
