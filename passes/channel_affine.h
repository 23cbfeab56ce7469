// Folding a per-channel affine map y = x * scale[c] + shift[c] (c: dim 1 of x) into the constant weights
// and bias of the layer producing x. Shared by fold-batchnorm and fold-affine.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln {

struct ChannelAffine {
    std::vector<double> scale, shift;  // one per channel, in double
};

// A new constant value named after base (made unique).
ValueId add_folded_constant(Graph& g, const std::string& base, Tensor t);

// Folds a into p (Conv, ConvTranspose, Gemm; MatMul of a 2-D A and constant 2-D B becomes a Gemm) by
// giving it new constant weights and bias; p keeps its output. False, with nothing changed, when p's
// weights are not constant or its form does not allow it. Weights are never modified in place.
bool fold_channel_affine(Graph& g, Node& p, const ChannelAffine& a);

}  // namespace kiln
