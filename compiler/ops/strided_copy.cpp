// Dim merging for strided copies, and their evaluation and emission.
#include "ops/strided_copy.h"

#include <fmt/format.h>

#include "backends/common/emit_context.h"
#include "ops/dispatch.h"
#include "ops/op_context.h"

namespace kiln {

std::vector<int64_t> contiguous_strides(const Shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (std::size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
    return st;
}

Status make_strided_copy_params(NodeCtx& c, const StridedCopy& s, kernels::StridedCopyParams* out) {
    kernels::StridedCopyParams p{};
    p.src_offset = s.src_offset;
    p.dst_offset = s.dst_offset;
    std::vector<int64_t> dims, ss, ds;
    bool empty = false;
    for (std::size_t d = 0; d < s.dims.size(); ++d) {
        if (s.dims[d] == 0) empty = true;
        if (s.dims[d] == 1) continue;  // size-1 dims carry no iteration
        // Merge into the previous dim when both sides continue contiguously across the pair.
        if (!dims.empty() && ss.back() == s.src_strides[d] * s.dims[d] && ds.back() == s.dst_strides[d] * s.dims[d]) {
            dims.back() *= s.dims[d];
            ss.back() = s.src_strides[d];
            ds.back() = s.dst_strides[d];
            continue;
        }
        dims.push_back(s.dims[d]);
        ss.push_back(s.src_strides[d]);
        ds.push_back(s.dst_strides[d]);
    }
    if (empty) dims = {0}, ss = {0}, ds = {0};
    if (dims.empty() && !s.dims.empty()) dims = {1}, ss = {0}, ds = {0};
    if (dims.size() > std::size_t(kernels::kMaxRank))
        return c.fail("the copy needs {} dimensions after merging, more than the supported {}", dims.size(),
                      kernels::kMaxRank);
    p.rank = int32_t(dims.size());
    for (std::size_t d = 0; d < dims.size(); ++d) {
        p.dims[d] = dims[d];
        p.src_strides[d] = ss[d];
        p.dst_strides[d] = ds[d];
    }
    *out = p;
    return Status::ok();
}

Status eval_strided_copy(EvalCtx& c, const Tensor& src, Tensor& dst, const StridedCopy& s) {
    kernels::StridedCopyParams p;
    KILN_TRY(make_strided_copy_params(c, s, &p));
    bool ok = dispatch_any(src.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::strided_copy(src.data<T>(), dst.data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(src.dtype()));
}

Status emit_strided_copy(EmitCtx& c, const std::string& src_expr, const std::string& dst_expr, const StridedCopy& s,
                         const std::string& suffix) {
    kernels::StridedCopyParams p;
    KILN_TRY(make_strided_copy_params(c, s, &p));
    auto list = [&](const int64_t* v) {
        std::vector<int64_t> x(v, v + std::max<int32_t>(p.rank, 1));
        return fmt::format("{{{}}}", fmt::join(x, ", "));
    };
    std::string name = c.define_params("k::StridedCopyParams",
                                       fmt::format("{{{}, {}, {}, {}, {}, {}}}", p.rank, list(p.dims),
                                                   list(p.src_strides), list(p.dst_strides), p.src_offset, p.dst_offset),
                                       suffix);
    c.use_kernel("portable/layout.h");
    c.call("k::strided_copy({}, {}, {});", src_expr, dst_expr, name);
    return Status::ok();
}

}  // namespace kiln
