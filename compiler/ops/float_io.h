// The element adapter (backends/portable/kernels/float_io.h) that accumulating kernels take for a float
// type: IoFor<Adapter, T> in the evaluator (from dispatch_map's adapter), io_expr() in generated code.
#pragma once

#include <string>

#include "backends/portable/kernels/float_io.h"
#include "ops/elementwise.h"

namespace kiln {

template <typename Adapter, typename T>
struct IoFor {
    using type = kernels::PlainIo<T>;
};
template <typename T>
struct IoFor<ViaF16, T> {
    using type = kernels::F16Io;
};
template <typename T>
struct IoFor<ViaBF16, T> {
    using type = kernels::BF16Io;
};

// "k::PlainIo<float>", "k::F16Io", "k::BF16Io".
inline std::string io_expr(DType t) {
    if (t == DType::Float16) return "k::F16Io";
    if (t == DType::BFloat16) return "k::BF16Io";
    return std::string("k::PlainIo<") + dtype_ctype(t) + ">";
}

}  // namespace kiln
