// Output sizes and paddings of sliding windows, following the ONNX Conv/MaxPool/AveragePool specs.
#include "ops/sliding_window.h"

#include <fmt/format.h>

namespace kiln {

namespace {
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }
}  // namespace

Status per_dim_attr(NodeCtx& c, const char* name, int rank, int64_t min_value, std::vector<int64_t>* out) {
    std::vector<int64_t> v = c.attr_ints(name, std::vector<int64_t>(std::size_t(rank), 1));
    KILN_TRY(c.status());
    if (int(v.size()) != rank) return c.fail("attribute '{}' has {} values, expected {}", name, v.size(), rank);
    for (int64_t x : v)
        if (x < min_value) return c.fail("attribute '{}' has value {}, expected at least {}", name, x, min_value);
    *out = v;
    return Status::ok();
}

Status read_auto_pad(NodeCtx& c, std::string* mode) {
    *mode = c.attr_string("auto_pad", "NOTSET");
    KILN_TRY(c.status());
    if (*mode != "NOTSET" && *mode != "SAME_UPPER" && *mode != "SAME_LOWER" && *mode != "VALID")
        return c.fail("attribute auto_pad='{}' is not supported", *mode);
    return Status::ok();
}

Status forward_window(NodeCtx& c, const Shape& x, const std::vector<int64_t>& kernel, bool ceil_mode,
                      WindowGeometry* g) {
    const int rank = int(x.size()) - 2;
    if (rank < 1 || rank > kernels::kWindowDims)
        return c.fail("input of shape {} has {} spatial dims; 1 to {} are supported", shape_str(x), rank,
                      kernels::kWindowDims);
    if (int(kernel.size()) != rank)
        return c.fail("kernel has {} dims but the input has {} spatial dims", kernel.size(), rank);
    for (int64_t k : kernel)
        if (k < 1) return c.fail("kernel size {} is not positive", k);
    g->in.assign(x.begin() + 2, x.end());
    g->kernel = kernel;
    KILN_TRY(per_dim_attr(c, "strides", rank, 1, &g->strides));
    KILN_TRY(per_dim_attr(c, "dilations", rank, 1, &g->dilations));
    std::string auto_pad;
    KILN_TRY(read_auto_pad(c, &auto_pad));
    std::vector<int64_t> pads = c.attr_ints("pads", std::vector<int64_t>(std::size_t(2 * rank), 0));
    KILN_TRY(c.status());
    if (auto_pad == "NOTSET") {
        if (int(pads.size()) != 2 * rank)
            return c.fail("attribute 'pads' has {} values, expected {}", pads.size(), 2 * rank);
        for (int64_t p : pads)
            if (p < 0) return c.fail("attribute 'pads' has negative value {}", p);
    }
    g->out.assign(std::size_t(rank), 0);
    g->pad_begin.assign(std::size_t(rank), 0);
    g->pad_end.assign(std::size_t(rank), 0);
    for (int d = 0; d < rank; ++d) {
        const int64_t in = g->in[std::size_t(d)], s = g->strides[std::size_t(d)];
        const int64_t extent = (kernel[std::size_t(d)] - 1) * g->dilations[std::size_t(d)] + 1;
        int64_t out = 0, pb = 0, pe = 0;
        if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
            out = ceil_div(in, s);
            const int64_t total = std::max<int64_t>(0, (out - 1) * s + extent - in);
            // SAME_UPPER puts the odd padding at the end, SAME_LOWER at the beginning.
            pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
            pe = total - pb;
        } else {
            if (auto_pad == "NOTSET") {
                pb = pads[std::size_t(d)];
                pe = pads[std::size_t(d + rank)];
            }
            const int64_t room = in + pb + pe - extent;
            if (room < 0)
                return c.fail("window of extent {} does not fit input dim {} of size {} with pads {}+{}", extent, d + 2,
                              in, pb, pe);
            out = (ceil_mode ? ceil_div(room, s) : floor_div(room, s)) + 1;
            // A window that would start in the end padding covers no input: drop it (as PyTorch and
            // ONNX Runtime do), so every output reads at least one element.
            if (ceil_mode && (out - 1) * s >= in + pb) --out;
        }
        g->out[std::size_t(d)] = out;
        g->pad_begin[std::size_t(d)] = pb;
        g->pad_end[std::size_t(d)] = pe;
    }
    return Status::ok();
}

kernels::Window to_kernel_window(const WindowGeometry& g) {
    kernels::Window w{};
    const int lead = kernels::kWindowDims - g.rank();
    for (int d = 0; d < kernels::kWindowDims; ++d) {
        const bool pad = d < lead;
        const std::size_t s = std::size_t(d - lead);
        w.in[d] = pad ? 1 : g.in[s];
        w.out[d] = pad ? 1 : g.out[s];
        w.kernel[d] = pad ? 1 : g.kernel[s];
        w.stride[d] = pad ? 1 : g.strides[s];
        w.dilation[d] = pad ? 1 : g.dilations[s];
        w.pad[d] = pad ? 0 : g.pad_begin[s];
    }
    return w;
}

std::string c_window(const kernels::Window& w) {
    auto list = [](const int64_t* v) { return fmt::format("{{{}, {}, {}}}", v[0], v[1], v[2]); };
    return fmt::format("{{{}, {}, {}, {}, {}, {}}}", list(w.in), list(w.out), list(w.kernel), list(w.stride),
                       list(w.dilation), list(w.pad));
}

}  // namespace kiln
