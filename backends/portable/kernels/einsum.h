// Einsum as a loop nest planned by the compiler: one loop per label, outermost first, each with the
// stride of every input and of the output along it (0 where that tensor does not vary with the label).
// The output starts at zero and receives the sum, over all loop positions, of the product of the inputs.
// Loops [split, loops) are summed in a register per position of the outer ones (a dot product when one
// is left); split == loops makes the innermost loop run along the output (y[i] += a * b[i], as matmul).
#pragma once

#include <cstdint>

#include "common.h"
#include "float_io.h"

namespace kiln {
namespace kernels {

constexpr int kEinsumMaxInputs = 4;
constexpr int kEinsumMaxLoops = 12;

struct EinsumParams {
    int32_t inputs;
    int32_t loops;
    int32_t split;
    int64_t out_count;  // output elements
    int64_t sizes[kEinsumMaxLoops];
    int64_t out_strides[kEinsumMaxLoops];
    int64_t in_strides[kEinsumMaxInputs][kEinsumMaxLoops];
};

// Steps the odometer over loops [lo, hi) (the last fastest) and moves the offsets with it.
template <typename = void>
inline void einsum_advance(const EinsumParams& p, int32_t lo, int32_t hi, int64_t* idx, int64_t* off, int64_t* out) {
    for (int32_t d = hi - 1; d >= lo; --d) {
        *out += p.out_strides[d];
        for (int32_t k = 0; k < p.inputs; ++k) off[k] += p.in_strides[k][d];
        if (++idx[d] < p.sizes[d]) return;
        *out -= p.out_strides[d] * p.sizes[d];
        for (int32_t k = 0; k < p.inputs; ++k) off[k] -= p.in_strides[k][d] * p.sizes[d];
        idx[d] = 0;
    }
}

template <typename Io, typename T>
inline typename Io::Acc einsum_product(const T* const* in, const int64_t* off, int32_t inputs) {
    using Acc = typename Io::Acc;
    Acc v = Io::load(in[0][off[0]]);
    for (int32_t k = 1; k < inputs; ++k) v = Acc(v * Io::load(in[k][off[k]]));
    return v;
}

// Sum over i < n of the product of the inputs at off + i * stride (stride per input, of loop d).
template <typename Io, typename T>
inline typename Io::Acc einsum_dot(const T* const* in, const int64_t* off, const EinsumParams& p, int32_t d) {
    using Acc = typename Io::Acc;
    const int64_t n = p.sizes[d];
    Acc acc = Acc(0);
    if (p.inputs == 1) {
        const T* a = in[0] + off[0];
        const int64_t sa = p.in_strides[0][d];
        for (int64_t i = 0; i < n; ++i) acc = Acc(acc + Io::load(a[i * sa]));
    } else if (p.inputs == 2) {
        const T* a = in[0] + off[0];
        const T* b = in[1] + off[1];
        const int64_t sa = p.in_strides[0][d], sb = p.in_strides[1][d];
        if (sa == 1 && sb == 1) {
            for (int64_t i = 0; i < n; ++i) acc = Acc(acc + Io::load(a[i]) * Io::load(b[i]));
        } else {
            for (int64_t i = 0; i < n; ++i) acc = Acc(acc + Io::load(a[i * sa]) * Io::load(b[i * sb]));
        }
    } else {
        int64_t o[kEinsumMaxInputs];
        for (int32_t k = 0; k < p.inputs; ++k) o[k] = off[k];
        for (int64_t i = 0; i < n; ++i) {
            acc = Acc(acc + einsum_product<Io>(in, o, p.inputs));
            for (int32_t k = 0; k < p.inputs; ++k) o[k] += p.in_strides[k][d];
        }
    }
    return acc;
}

// y[out + i * so] += product of the inputs at off + i * stride, along loop d.
template <typename Io, typename T>
inline void einsum_row(const T* const* in, const int64_t* off, T* y, const EinsumParams& p, int32_t d) {
    using Acc = typename Io::Acc;
    const int64_t n = p.sizes[d], so = p.out_strides[d];
    if (p.inputs == 2 && so == 1) {
        const T* a = in[0] + off[0];
        const T* b = in[1] + off[1];
        const int64_t sa = p.in_strides[0][d], sb = p.in_strides[1][d];
        if (sa == 0 && sb == 1) {
            const Acc av = Io::load(a[0]);
            for (int64_t i = 0; i < n; ++i) y[i] = Io::store(Acc(Io::load(y[i]) + av * Io::load(b[i])));
            return;
        }
        if (sa == 1 && sb == 0) {
            const Acc bv = Io::load(b[0]);
            for (int64_t i = 0; i < n; ++i) y[i] = Io::store(Acc(Io::load(y[i]) + Io::load(a[i]) * bv));
            return;
        }
    }
    int64_t o[kEinsumMaxInputs];
    for (int32_t k = 0; k < p.inputs; ++k) o[k] = off[k];
    for (int64_t i = 0; i < n; ++i) {
        y[i * so] = Io::store(Acc(Io::load(y[i * so]) + einsum_product<Io>(in, o, p.inputs)));
        for (int32_t k = 0; k < p.inputs; ++k) o[k] += p.in_strides[k][d];
    }
}

// Sum of the products over loops [split, loops) from the offsets `base` (at least one loop).
template <typename Io, typename T>
inline typename Io::Acc einsum_sum(const T* const* in, const int64_t* base, const EinsumParams& p) {
    using Acc = typename Io::Acc;
    const int32_t last = p.loops - 1;
    int64_t rows = 1;
    for (int32_t d = p.split; d < last; ++d) rows *= p.sizes[d];
    int64_t off[kEinsumMaxInputs], idx[kEinsumMaxLoops] = {0}, unused = 0;
    for (int32_t k = 0; k < p.inputs; ++k) off[k] = base[k];
    Acc acc = Acc(0);
    for (int64_t r = 0; r < rows; ++r) {
        acc = Acc(acc + einsum_dot<Io>(in, off, p, last));
        einsum_advance(p, p.split, last, idx, off, &unused);
    }
    return acc;
}

template <typename Io, typename T>
inline void einsum_inputs(const T* const* in, T* y, const EinsumParams& p) {
    using Acc = typename Io::Acc;
    for (int64_t i = 0; i < p.out_count; ++i) y[i] = Io::store(Acc(0));
    for (int32_t d = 0; d < p.loops; ++d)
        if (p.sizes[d] == 0) return;
    int64_t off[kEinsumMaxInputs] = {0}, idx[kEinsumMaxLoops] = {0}, out = 0;
    if (p.loops == 0) {
        y[0] = Io::store(einsum_product<Io>(in, off, p.inputs));
        return;
    }
    // The outer loops the odometer walks; with no summed loops the last of them is a row.
    const bool rows = p.split == p.loops;
    const int32_t walked = rows ? p.loops - 1 : p.split;
    int64_t count = 1;
    for (int32_t d = 0; d < walked; ++d) count *= p.sizes[d];
    for (int64_t r = 0; r < count; ++r) {
        if (rows) einsum_row<Io>(in, off, y + out, p, p.loops - 1);
        else y[out] = Io::store(Acc(Io::load(y[out]) + einsum_sum<Io>(in, off, p)));
        einsum_advance(p, 0, walked, idx, off, &out);
    }
}

// One overload per input count, so generated code passes its buffers directly.
template <typename Io, typename T>
inline void einsum(const T* a, T* y, const EinsumParams& p) {
    const T* in[kEinsumMaxInputs] = {a, nullptr, nullptr, nullptr};
    einsum_inputs<Io>(in, y, p);
}
template <typename Io, typename T>
inline void einsum(const T* a, const T* b, T* y, const EinsumParams& p) {
    const T* in[kEinsumMaxInputs] = {a, b, nullptr, nullptr};
    einsum_inputs<Io>(in, y, p);
}
template <typename Io, typename T>
inline void einsum(const T* a, const T* b, const T* c, T* y, const EinsumParams& p) {
    const T* in[kEinsumMaxInputs] = {a, b, c, nullptr};
    einsum_inputs<Io>(in, y, p);
}
template <typename Io, typename T>
inline void einsum(const T* a, const T* b, const T* c, const T* d, T* y, const EinsumParams& p) {
    const T* in[kEinsumMaxInputs] = {a, b, c, d};
    einsum_inputs<Io>(in, y, p);
}

}  // namespace kernels
}  // namespace kiln
