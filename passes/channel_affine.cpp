// Per-channel affine maps folded into Conv / ConvTranspose / Gemm / MatMul weights (channel_affine.h).
#include "passes/channel_affine.h"

#include <algorithm>

#include "passes/rewrite.h"

namespace kiln {

ValueId add_folded_constant(Graph& g, const std::string& base, Tensor t) {
    Value v;
    v.name = base + "_folded" + std::to_string(g.values.size());
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.shape_known = true;
    v.data = std::move(t);
    return g.add_value(std::move(v));
}

namespace {


// W * scale[channel(i)] for every element i of a constant tensor; channel_of maps a flat index.
template <typename ChannelOf>
Tensor scaled(const Tensor& w, const ChannelAffine& a, ChannelOf channel_of) {
    Tensor r(w.dtype(), w.shape());
    for (int64_t i = 0; i < w.numel(); ++i) r.set_from_double(i, w.as_double(i) * a.scale[std::size_t(channel_of(i))]);
    return r;
}

// New bias b * scale + shift (b = 0 without one), shape [C].
Tensor folded_bias(DType t, const Tensor* b, const ChannelAffine& a) {
    const int64_t c = int64_t(a.scale.size());
    Tensor r(t, {c});
    for (int64_t i = 0; i < c; ++i)
        r.set_from_double(i, (b ? b->as_double(i) * a.scale[std::size_t(i)] : 0.0) + a.shift[std::size_t(i)]);
    return r;
}

}  // namespace

bool fold_channel_affine(Graph& g, Node& p, const ChannelAffine& a) {
    if (!p.domain.empty() || p.inputs.size() < 2 || p.outputs.size() != 1 || !g.value(p.inputs[1]).is_constant())
        return false;
    if (p.has_input(2) && !g.value(p.inputs[2]).is_constant()) return false;
    const DType dt = g.value(p.outputs[0]).dtype;
    if (dt != DType::Float32 && dt != DType::Float64) return false;
    // Copies: adding values below reallocates g.values.
    const Tensor w = *g.value(p.inputs[1]).data;
    const std::string wname = g.value(p.inputs[1]).name;
    const bool has_b = p.has_input(2);
    const Tensor b = has_b ? *g.value(p.inputs[2]).data : Tensor();
    if (w.dtype() != dt || (has_b && b.dtype() != dt)) return false;
    const int64_t c = int64_t(a.scale.size());
    const bool unit_scale = std::all_of(a.scale.begin(), a.scale.end(), [](double v) { return v == 1.0; });
    const bool zero_shift = std::all_of(a.shift.begin(), a.shift.end(), [](double v) { return v == 0.0; });
    // W unchanged when the scale is 1 (an Add folded); no bias created for a pure scale.
    auto set_inputs = [&](Tensor nw, Tensor nb, bool need_bias) {
        if (!unit_scale) p.inputs[1] = add_folded_constant(g, wname, std::move(nw));
        if (need_bias) {
            p.inputs.resize(3);
            p.inputs[2] = add_folded_constant(g, wname + "_bias", std::move(nb));
        }
    };
    if (p.op_type == "Conv" || p.op_type == "ConvTranspose") {
        if (w.rank() < 3 || (has_b && b.numel() != c)) return false;
        const int64_t k = shape_numel(Shape(w.shape().begin() + 2, w.shape().end()));
        Tensor nw;
        if (p.op_type == "Conv") {
            if (w.shape()[0] != c) return false;
            const int64_t per_out = w.numel() / c;
            if (!unit_scale) nw = scaled(w, a, [&](int64_t i) { return i / per_out; });
        } else {
            // W is [Cin, Cout/group, k...]: output channel = group * cog + mg, group = ic / cig.
            const int64_t groups = attr_int(p, "group", 1), cin = w.shape()[0], cog = w.shape()[1];
            if (cog * groups != c || cin % groups != 0) return false;
            const int64_t cig = cin / groups;
            if (!unit_scale) nw = scaled(w, a, [&](int64_t i) { return (i / k / cog) / cig * cog + (i / k) % cog; });
        }
        const bool need_bias = has_b || !zero_shift;
        set_inputs(std::move(nw), need_bias ? folded_bias(dt, has_b ? &b : nullptr, a) : Tensor(), need_bias);
        return true;
    }
    if (p.op_type == "Gemm") {
        // Y[i, j] = alpha * op(A) op(B) + beta * C scales per column j: op(B)'s column j, and C becomes
        // beta * C * s + t with beta = 1.
        if (p.opset < 7 || p.attrs.count("broadcast") || w.rank() != 2) return false;
        const bool tb = attr_int(p, "transB", 0) != 0;
        if ((tb ? w.shape()[0] : w.shape()[1]) != c) return false;
        const int64_t w_cols = w.shape()[1];
        Tensor nw;
        if (!unit_scale) nw = scaled(w, a, [&](int64_t i) { return tb ? i / w_cols : i % w_cols; });
        const double beta = double(attr_float(p, "beta", 1.0f));
        const bool need_bias = has_b || !zero_shift;
        Tensor nc;
        if (!has_b) {
            nc = folded_bias(dt, nullptr, a);
        } else {
            Shape cs = b.shape();
            if (cs.size() > 2) return false;
            while (cs.size() < 2) cs.insert(cs.begin(), 1);
            if (cs[1] != 1 && cs[1] != c) return false;
            const int64_t rows = cs[0];
            nc = Tensor(dt, rows == 1 ? Shape{c} : Shape{rows, c});
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t j = 0; j < c; ++j) {
                    const double cv = b.as_double(r * cs[1] + (cs[1] == 1 ? 0 : j));
                    nc.set_from_double(r * c + j, beta * cv * a.scale[std::size_t(j)] + a.shift[std::size_t(j)]);
                }
        }
        set_inputs(std::move(nw), std::move(nc), need_bias);
        if (need_bias) {
            Attribute one;
            one.kind = Attribute::Kind::Float;
            one.f = 1.0f;
            p.attrs["beta"] = one;
        }
        return true;
    }
    if (p.op_type == "MatMul") {
        // A [M, K] x B [K, N] with the map over N: a Gemm with B's columns scaled and C = t.
        if (w.rank() != 2 || g.value(p.inputs[0]).shape.size() != 2 || w.shape()[1] != c) return false;
        Tensor nw;
        if (!unit_scale) nw = scaled(w, a, [&](int64_t i) { return i % c; });
        set_inputs(std::move(nw), folded_bias(dt, nullptr, a), !zero_shift);
        p.op_type = "Gemm";
        p.opset = std::max(p.opset, 13);
        p.attrs.clear();
        return true;
    }
    return false;
}

}  // namespace kiln
