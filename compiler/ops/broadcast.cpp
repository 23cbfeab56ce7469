// Broadcast shape rules and collapsed stride computation.
#include "ops/broadcast.h"

#include <fmt/format.h>

namespace kiln {

bool broadcast_shapes(const std::vector<Shape>& shapes, Shape* out) {
    std::size_t rank = 0;
    for (const Shape& s : shapes) rank = std::max(rank, s.size());
    Shape r(rank, 1);
    for (const Shape& s : shapes) {
        std::size_t off = rank - s.size();
        for (std::size_t i = 0; i < s.size(); ++i) {
            int64_t d = s[i];
            int64_t& o = r[off + i];
            if (d == o || d == 1) continue;
            if (o == 1) { o = d; continue; }
            return false;
        }
    }
    *out = r;
    return true;
}

kernels::BroadcastParams make_broadcast_params(const Shape& out, const std::vector<Shape>& inputs) {
    const std::size_t rank = out.size();
    const std::size_t n = inputs.size();
    // Per-input strides over the output's dims (0 where the input is broadcast).
    std::vector<std::vector<int64_t>> strides(n, std::vector<int64_t>(rank, 0));
    for (std::size_t k = 0; k < n; ++k) {
        const Shape& s = inputs[k];
        std::size_t off = rank - s.size();
        int64_t st = 1;
        for (std::size_t i = s.size(); i-- > 0;) {
            strides[k][off + i] = s[i] == 1 ? 0 : st;
            st *= s[i];
        }
    }
    // Merge dim d into d+1 when every input is contiguous across the pair (or broadcast across both).
    std::vector<int64_t> dims;
    std::vector<std::vector<int64_t>> cs(n);
    for (std::size_t d = 0; d < rank; ++d) {
        if (out[d] == 1 && rank > 1) continue;  // size-1 dims carry no iteration
        bool merge = !dims.empty();
        for (std::size_t k = 0; k < n && merge; ++k)
            merge = cs[k].back() == strides[k][d] * out[d];
        if (merge) {
            dims.back() *= out[d];
            for (std::size_t k = 0; k < n; ++k) cs[k].back() = strides[k][d];
        } else {
            dims.push_back(out[d]);
            for (std::size_t k = 0; k < n; ++k) cs[k].push_back(strides[k][d]);
        }
    }
    kernels::BroadcastParams p{};
    if (rank > 0 && dims.empty()) {  // all dims are 1
        dims.push_back(1);
        for (std::size_t k = 0; k < n; ++k) cs[k].push_back(0);
    }
    p.rank = int32_t(dims.size());
    for (std::size_t d = 0; d < dims.size(); ++d) {
        p.dims[d] = dims[d];
        for (std::size_t k = 0; k < n; ++k) p.strides[k][d] = cs[k][d];
    }
    return p;
}

std::string c_broadcast_params(const kernels::BroadcastParams& p) {
    auto list = [&](const int64_t* v) {
        std::vector<int64_t> x(v, v + std::max<int32_t>(p.rank, 1));
        return fmt::format("{{{}}}", fmt::join(x, ", "));
    };
    return fmt::format("{{{}, {}, {{{}, {}, {}}}}}", p.rank, list(p.dims), list(p.strides[0]), list(p.strides[1]),
                       list(p.strides[2]));
}

}  // namespace kiln
