// Tolerance comparison for check and run.
#include "driver/compare.h"

#include <cmath>

#include <fmt/format.h>

namespace kiln {

Comparison compare_tensors(const Tensor& got, const Tensor& want, double rtol, double atol) {
    Comparison c;
    if (got.dtype() != want.dtype()) {
        c.problem = fmt::format("type {} but expected {}", dtype_name(got.dtype()), dtype_name(want.dtype()));
        return c;
    }
    if (got.numel() != want.numel() || (got.shape() != want.shape() && !(got.numel() == 1 && want.numel() == 1))) {
        c.problem = fmt::format("shape {} but expected {}", shape_str(got.shape()), shape_str(want.shape()));
        return c;
    }
    const bool exact = !dtype_is_float(want.dtype());
    double worst_excess = -1;
    for (int64_t i = 0; i < want.numel(); ++i) {
        double g = got.as_double(i), w = want.as_double(i);
        if (exact) {
            if (got.as_int64(i) != want.as_int64(i)) {
                ++c.mismatches;
                double e = std::fabs(g - w);
                if (e > c.max_abs_error || c.worst_index < 0) c.max_abs_error = e, c.worst_index = i;
            }
            continue;
        }
        if (std::isnan(w) || std::isnan(g)) {
            if (std::isnan(w) != std::isnan(g)) {
                ++c.mismatches;
                c.max_abs_error = INFINITY;
                c.worst_index = i;
            }
            continue;
        }
        if (std::isinf(w) || std::isinf(g)) {
            if (g != w) {
                ++c.mismatches;
                c.max_abs_error = INFINITY;
                c.worst_index = i;
            }
            continue;
        }
        double e = std::fabs(g - w);
        double excess = e - (atol + rtol * std::fabs(w));
        if (e > c.max_abs_error) c.max_abs_error = e;
        if (excess > 0) ++c.mismatches;
        if (excess > worst_excess) worst_excess = excess, c.worst_index = i;
    }
    c.match = c.mismatches == 0;
    return c;
}

}  // namespace kiln
