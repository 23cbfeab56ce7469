// The vector operations the x86 kernels are written in, one traits struct per ISA (Avx2: 8-float ymm,
// Avx512: 16-float zmm), so every kernel is one template instantiated per ISA. Each struct exists only when
// the translation unit is compiled for its ISA (-mavx2 -mfma / -mavx512f -mavx512bw -mavx512vl -mfma).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "pack.h"

// The ISA traits' functions are one instruction or a few: forced inline, so the kernels do not depend on the
// optimisation level the generated code is built with (-O2 for the x86 targets). At -O2, g++ 12 stops inlining
// them once a kernel function is large ("large-function-growth limit reached") and passes vectors through
// memory. The other half of the same problem is in the kernels: loops over small register arrays carry
// `#pragma GCC unroll`, or -O2 keeps the arrays on the stack. With both, the depthwise 3x3 kernel on a 28x28x192
// layer runs in 48 us at -O2 (134 before; 46 at -O3).
#ifndef KILN_X86_INLINE
#define KILN_X86_INLINE __attribute__((always_inline)) inline
#endif

namespace kiln {
namespace kernels {
namespace x86 {

#if defined(__AVX512F__) && defined(__FMA__)
// Register block of the GEMM micro-kernel: 14 rows x 2 zmm = 28 accumulators + 2 B vectors of 32 zmm.
struct Avx512 {
    using V = __m512;
    static constexpr int kLanes = 16;
    static constexpr int kMr = 14;
    static constexpr int kNv = 2;  // vectors per tile row: NR = 32 floats
    static const char* name() { return "avx512"; }
    static_assert(kMr == Avx512Tile::kMr && kNv * kLanes == Avx512Tile::kNr, "pack.h and simd.h disagree");

    KILN_X86_INLINE static __mmask16 mask(int64_t n) {
        return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1u);
    }
    KILN_X86_INLINE static V zero() { return _mm512_setzero_ps(); }
    KILN_X86_INLINE static V set1(float x) { return _mm512_set1_ps(x); }
    KILN_X86_INLINE static V load(const float* p) { return _mm512_loadu_ps(p); }
    KILN_X86_INLINE static V load_n(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(mask(n), p); }
    KILN_X86_INLINE static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    KILN_X86_INLINE static void store_n(float* p, V v, int64_t n) { _mm512_mask_storeu_ps(p, mask(n), v); }
    KILN_X86_INLINE static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    KILN_X86_INLINE static V add(V a, V b) { return _mm512_add_ps(a, b); }
    KILN_X86_INLINE static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    KILN_X86_INLINE static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    // The masked forms: g++ 12's _mm512_max_ps/_mm512_min_ps pass _mm512_undefined_ps() and trip
    // -Wmaybe-uninitialized (GCC PR 105593), which generated code's -Werror cannot take.
    KILN_X86_INLINE static V max(V a, V b) { return _mm512_mask_max_ps(a, __mmask16(0xFFFF), a, b); }
    KILN_X86_INLINE static V min(V a, V b) { return _mm512_mask_min_ps(a, __mmask16(0xFFFF), a, b); }
    // x < 0 ? a * x : x
    KILN_X86_INLINE static V leaky(V x, V a) {
        return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), x, a);
    }
    // Lane predicates and selection, for the elementwise ops that must match the portable functors bit for bit
    // (elementwise_chain.h): M is a lane mask, select(m, t, f) = m ? t : f per lane.
    using M = __mmask16;
    KILN_X86_INLINE static V div(V a, V b) { return _mm512_div_ps(a, b); }
    KILN_X86_INLINE static V neg(V x) {
        return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN)));
    }
    KILN_X86_INLINE static V abs(V x) {
        return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MAX)));
    }
    KILN_X86_INLINE static M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }  // a < b, false on NaN
    KILN_X86_INLINE static M is_nan(V a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
    KILN_X86_INLINE static M or_mask(M a, M b) { return M(a | b); }
    KILN_X86_INLINE static V select(M m, V t, V f) { return _mm512_mask_blend_ps(m, f, t); }
    // Nearest integer (ties to even), as a float. (Masked forms with every lane set, like max and min: the
    // unmasked intrinsics start from an undefined vector that g++ 12 -O2 reports as maybe uninitialized.)
    KILN_X86_INLINE static V round(V x) {
        return _mm512_mask_roundscale_ps(x, __mmask16(0xFFFF), x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    }
    // 2^n for integral n in [-126, 127] (the float with exponent field n + 127).
    KILN_X86_INLINE static V pow2(V n) {
        const __m512i i = _mm512_mask_cvtps_epi32(_mm512_castps_si512(n), __mmask16(0xFFFF), n);
        const __m512i e = _mm512_add_epi32(i, _mm512_set1_epi32(127));
        return _mm512_castsi512_ps(_mm512_mask_slli_epi32(e, __mmask16(0xFFFF), e, 23));
    }
    // Lanes l in [lo, hi) get p[l * stride] (stride 1 or 2), the others 0; only those elements are read.
    KILN_X86_INLINE static V load_lanes(const float* p, int64_t stride, int64_t lo, int64_t hi) {
        if (stride == 1) return _mm512_maskz_loadu_ps(__mmask16(mask(hi) & ~mask(lo)), p);
        const int64_t e_lo = 2 * lo, e_hi = 2 * hi - 1;  // elements read, then the even ones kept
        const V a = _mm512_maskz_loadu_ps(__mmask16(mask(e_hi) & ~mask(e_lo)), p);
        const V b = _mm512_maskz_loadu_ps(__mmask16(mask(e_hi - 16) & ~mask(e_lo - 16)), p + 16);
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        return _mm512_permutex2var_ps(a, even, b);
    }
    // p[0], p[2], ..., p[30] (reads p[0..31]).
    KILN_X86_INLINE static V load_even(const float* p) {
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        return _mm512_permutex2var_ps(_mm512_loadu_ps(p), even, _mm512_loadu_ps(p + 16));
    }
};
#endif

#if defined(__AVX2__) && defined(__FMA__)
// Register block: 6 rows x 2 ymm = 12 accumulators + 2 B vectors + 1 broadcast of 16 ymm.
struct Avx2 {
    using V = __m256;
    static constexpr int kLanes = 8;
    static constexpr int kMr = 6;
    static constexpr int kNv = 2;  // NR = 16 floats
    static const char* name() { return "avx2"; }
    static_assert(kMr == Avx2Tile::kMr && kNv * kLanes == Avx2Tile::kNr, "pack.h and simd.h disagree");

    KILN_X86_INLINE static __m256i mask(int64_t n) {
        alignas(32) static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        const int64_t k = n >= 8 ? 8 : n <= 0 ? 0 : n;
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table + 8 - k));
    }
    KILN_X86_INLINE static V zero() { return _mm256_setzero_ps(); }
    KILN_X86_INLINE static V set1(float x) { return _mm256_set1_ps(x); }
    KILN_X86_INLINE static V load(const float* p) { return _mm256_loadu_ps(p); }
    KILN_X86_INLINE static V load_n(const float* p, int64_t n) { return _mm256_maskload_ps(p, mask(n)); }
    KILN_X86_INLINE static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    KILN_X86_INLINE static void store_n(float* p, V v, int64_t n) { _mm256_maskstore_ps(p, mask(n), v); }
    KILN_X86_INLINE static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    KILN_X86_INLINE static V add(V a, V b) { return _mm256_add_ps(a, b); }
    KILN_X86_INLINE static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    KILN_X86_INLINE static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    KILN_X86_INLINE static V max(V a, V b) { return _mm256_max_ps(a, b); }
    KILN_X86_INLINE static V min(V a, V b) { return _mm256_min_ps(a, b); }
    KILN_X86_INLINE static V leaky(V x, V a) {
        return _mm256_blendv_ps(x, _mm256_mul_ps(x, a), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    }
    // As Avx512's: lane masks are all-ones / all-zeros float lanes.
    using M = __m256;
    KILN_X86_INLINE static V div(V a, V b) { return _mm256_div_ps(a, b); }
    KILN_X86_INLINE static V neg(V x) { return _mm256_xor_ps(x, _mm256_set1_ps(-0.0f)); }
    KILN_X86_INLINE static V abs(V x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
    KILN_X86_INLINE static M lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
    KILN_X86_INLINE static M is_nan(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
    KILN_X86_INLINE static M or_mask(M a, M b) { return _mm256_or_ps(a, b); }
    KILN_X86_INLINE static V select(M m, V t, V f) { return _mm256_blendv_ps(f, t, m); }
    KILN_X86_INLINE static V round(V x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    KILN_X86_INLINE static V pow2(V n) {
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
    }
    KILN_X86_INLINE static __m256i mask_range(int64_t lo, int64_t hi) { return _mm256_andnot_si256(mask(lo), mask(hi)); }
    // Lanes l in [lo, hi) get p[l * stride] (stride 1 or 2), the others 0; only those elements are read.
    KILN_X86_INLINE static V load_lanes(const float* p, int64_t stride, int64_t lo, int64_t hi) {
        if (stride == 1) return _mm256_maskload_ps(p, mask_range(lo, hi));
        const int64_t e_lo = 2 * lo, e_hi = 2 * hi - 1;
        const V a = _mm256_maskload_ps(p, mask_range(e_lo, e_hi));
        const V b = _mm256_maskload_ps(p + 8, mask_range(e_lo - 8, e_hi - 8));
        // a0 a2 b0 b2 | a4 a6 b4 b6 -> a0 a2 a4 a6 b0 b2 b4 b6
        const V mixed = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), _MM_SHUFFLE(3, 1, 2, 0)));
    }
    // p[0], p[2], ..., p[14] (reads p[0..15]).
    KILN_X86_INLINE static V load_even(const float* p) {
        const V mixed = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
        return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), _MM_SHUFFLE(3, 1, 2, 0)));
    }
};
#endif

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
