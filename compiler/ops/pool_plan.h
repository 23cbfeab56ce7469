// Pooling parameters as pool.cpp computes them, for target backends that run the same layers with their
// own kernels (backends/x86).
#pragma once

#include <string>

#include "backends/portable/kernels/pool.h"
#include "ops/op_context.h"

namespace kiln {

enum class PoolKind { Max, Average, Lp };

struct PoolPlan {
    kernels::PoolParams params{};
    Shape out;
};

// MaxPool / AveragePool / LpPool (global = false) and their Global forms: attributes, window and output shape.
Status make_pool_plan(NodeCtx& c, PoolKind kind, bool global, PoolPlan* plan);
// The aggregate initializer of k::PoolParams.
std::string c_pool_params(const kernels::PoolParams& p);

}  // namespace kiln
