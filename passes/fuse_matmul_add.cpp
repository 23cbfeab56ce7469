// fuse-matmul-add: MatMul(A, B) followed by Add(bias) becomes one Gemm when A and B are matrices and the
// bias broadcasts to [M, N] as Gemm's C; when A has more dims and B is a constant matrix, a kiln FusedGemm
// that takes A's leading dims as rows and a bias of N values. The MatMul's output must have the Add as its
// only reader and not be a graph output. Float32/float64 only; assumes infer-shapes ran, topological order.
#include <algorithm>

#include "ops/registry.h"
#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

bool is_float(DType t) { return t == DType::Float32 || t == DType::Float64; }

// Gemm's C rule: at most 2 dims, right-aligned against [m, n], each 1 or equal.
bool fits_gemm_c(const Shape& c, int64_t m, int64_t n) {
    if (c.size() > 2) return false;
    Shape cs = c;
    while (cs.size() < 2) cs.insert(cs.begin(), 1);
    return (cs[0] == 1 || cs[0] == m) && (cs[1] == 1 || cs[1] == n);
}

// The bias as FusedGemm's C for rows taken from A's leading dims: a constant whose only non-1 dim is
// the last (N values, or one). A run-time bias of rank <= 2 with one row works as it is.
bool rows_bias(Graph& g, ValueId bias, int64_t n, ValueId* c) {
    const Value& v = g.value(bias);
    for (std::size_t d = 0; d + 1 < v.shape.size(); ++d)
        if (v.shape[d] != 1) return false;
    if (!v.shape.empty() && v.shape.back() != 1 && v.shape.back() != n) return false;
    if (v.shape.size() <= 2) {
        *c = bias;
        return true;
    }
    if (!v.is_constant()) return false;
    Value r = v;  // same data, shape [last]
    r.name = v.name + "_rows";
    r.shape = {v.shape.back()};
    r.data->reshape(r.shape);
    *c = g.add_value(std::move(r));
    return true;
}

}  // namespace

Expected<Graph> fuse_matmul_add(Graph g) {
    const std::vector<int> producer = g.producers();
    const std::vector<std::vector<int>> readers = g.consumers();
    std::vector<bool> drop(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        if (g.nodes[i].op_type != "Add" || !g.nodes[i].domain.empty() || g.nodes[i].inputs.size() != 2) continue;
        for (int side = 0; side < 2; ++side) {
            const Node& add = g.nodes[i];
            const ValueId mm = add.inputs[std::size_t(side)], bias = add.inputs[std::size_t(1 - side)];
            const int p = producer[std::size_t(mm)];
            if (p < 0 || drop[std::size_t(p)] || mm == bias) continue;
            const Node& matmul = g.nodes[std::size_t(p)];
            if (matmul.op_type != "MatMul" || !matmul.domain.empty()) continue;
            if (readers[std::size_t(mm)].size() != 1 || g.is_graph_output(mm)) continue;
            const Value& y = g.value(mm);
            const Value& a = g.value(matmul.inputs[0]);
            const Value& b = g.value(matmul.inputs[1]);
            if (!is_float(y.dtype) || g.value(bias).dtype != y.dtype || g.value(add.outputs[0]).shape != y.shape)
                continue;
            if (b.shape.size() != 2 || a.shape.size() < 2) continue;
            const int64_t n = b.shape[1];
            Node fused;
            fused.name = matmul.name;
            fused.inputs = {matmul.inputs[0], matmul.inputs[1], bias};
            fused.outputs = {add.outputs[0]};
            if (a.shape.size() == 2) {
                if (!fits_gemm_c(g.value(bias).shape, a.shape[0], n)) continue;
                fused.op_type = "Gemm";
                fused.opset = std::max(matmul.opset, 13);
            } else {
                ValueId c = kNoValue;
                if (!b.is_constant() || !rows_bias(g, bias, n, &c)) continue;
                fused.op_type = "FusedGemm";
                fused.domain = kInternalDomain;
                fused.opset = 1;
                fused.inputs[2] = c;
            }
            // The Add's position: the bias may be computed after the MatMul.
            g.nodes[i] = std::move(fused);
            drop[std::size_t(p)] = true;
            break;
        }
    }
    remove_nodes(g, drop);
    return g;
}

}  // namespace kiln
