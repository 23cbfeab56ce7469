// Lane-level helpers shared by the depthwise and pooling kernels: loads of a row segment clipped to the row
// (lanes outside read nothing and are 0) that never form a pointer outside the row, even when the segment
// starts left of it (padding), lane masks, even/odd de-interleaving for stride 2, and the masked max used by
// MaxPool. One specialization per ISA, present only when the translation unit is compiled for that ISA.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "simd.h"

// Forced inlining for the small per-vector helpers of the hot loops, so their vector arrays stay in
// registers (g++ and clang; both accept it under -pedantic).
#ifndef KILN_X86_INLINE
#define KILN_X86_INLINE inline __attribute__((always_inline))
#endif

namespace kiln {
namespace kernels {
namespace x86 {

template <class Isa>
struct Lanes;

#if defined(__AVX512F__) && defined(__FMA__)
template <>
struct Lanes<Avx512> {
    using V = __m512;
    using M = __mmask16;  // one bit per lane
    static constexpr int kLanes = 16;

    KILN_X86_INLINE static M all() { return M(0xFFFF); }
    KILN_X86_INLINE static M none() { return M(0); }
    // The first n lanes (n clipped to [0, 16]), without branches (cmov + shift).
    KILN_X86_INLINE static M first(int64_t n) {
        const uint32_t k = uint32_t(n < 0 ? 0 : n > 16 ? 16 : n);
        return M((1u << k) - 1u);
    }
    // Lanes [lo, hi), clipped to [0, 16).
    KILN_X86_INLINE static M range(int64_t lo, int64_t hi) { return M(first(hi) & ~first(lo)); }
    KILN_X86_INLINE static M and_(M a, M b) { return M(a & b); }
    KILN_X86_INLINE static M andnot(M a, M b) { return M(~a & b); }  // b without a
    KILN_X86_INLINE static M or_(M a, M b) { return M(a | b); }
    KILN_X86_INLINE static bool any(M m) { return m != 0; }

    KILN_X86_INLINE static __m512i iota() { return _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0); }
    // Lane l gets v[l - k] if it is in m, else 0 (0 < k < 16).
    KILN_X86_INLINE static V shift_up(V v, int64_t k, M m) {
        return _mm512_maskz_permutexvar_ps(m, _mm512_sub_epi32(iota(), _mm512_set1_epi32(int(k))), v);
    }
    // Lane l gets row[start + l] if l is in m and 0 <= start + l < limit, else 0. Only row + max(start, 0)
    // is formed, and only when some lane is read, so the pointer stays inside [row, row + limit).
    KILN_X86_INLINE static V load_clip(const float* row, int64_t start, int64_t limit, M m) {
        const int64_t lo = start < 0 ? -start : 0;
        const M keep = M(m & range(lo, limit - start));
        if (!keep) return _mm512_setzero_ps();
        if (lo == 0) return _mm512_maskz_loadu_ps(keep, row + start);
        // lanes l >= lo read row[l - lo]: load from the row start, then move every lane up by lo.
        return shift_up(_mm512_maskz_loadu_ps(M(keep >> lo), row), lo, keep);
    }
    // Lanes in m read p[l]; the others read nothing and are 0 (p must point inside the array).
    KILN_X86_INLINE static V maskz_load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
    KILN_X86_INLINE static void mask_store(M m, float* p, V v) { _mm512_mask_storeu_ps(p, m, v); }
    KILN_X86_INLINE static V load_clip(const float* row, int64_t start, int64_t limit) {
        if (start >= 0 && start + 16 <= limit) return _mm512_loadu_ps(row + start);
        return load_clip(row, start, limit, all());
    }
    // Even / odd elements of the 32 floats a:b.
    KILN_X86_INLINE static V even(V a, V b) {
        return _mm512_permutex2var_ps(a, _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0), b);
    }
    KILN_X86_INLINE static V odd(V a, V b) {
        return _mm512_permutex2var_ps(a, _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1), b);
    }
    // [v1, ..., v15, c0]
    // [p15, v0, ..., v14]
    KILN_X86_INLINE static V prev1(V v, V p) {
        return _mm512_castsi512_ps(
            _mm512_maskz_alignr_epi32(all(), _mm512_castps_si512(v), _mm512_castps_si512(p), 15));
    }
    // (The maskz form: g++ 12's _mm512_alignr_epi32 trips -Wmaybe-uninitialized, GCC PR 105593.)
    KILN_X86_INLINE static V next1(V v, V c) {
        return _mm512_castsi512_ps(
            _mm512_maskz_alignr_epi32(all(), _mm512_castps_si512(c), _mm512_castps_si512(v), 1));
    }
    KILN_X86_INLINE static V select(M m, V a, V b) { return _mm512_mask_mov_ps(b, m, a); }  // m ? a : b
    // m ? (v > acc ? v : acc) : acc — the portable MaxPool update (v > best) exactly: NaN in v never wins,
    // a NaN already in acc stays.
    KILN_X86_INLINE static V max_where(M m, V v, V acc) { return _mm512_mask_max_ps(acc, m, v, acc); }
    KILN_X86_INLINE static V max(V v, V acc) { return _mm512_mask_max_ps(acc, all(), v, acc); }
    KILN_X86_INLINE static V div(V a, V b) { return _mm512_div_ps(a, b); }
    // The two 256-bit halves by maskz extracts (not _mm512_reduce_add_ps / _mm512_castps512_ps256: g++ 12
    // implements them with an extract that trips -Wmaybe-uninitialized, GCC PR 105593), then in 128 bits.
    KILN_X86_INLINE static float hsum(V v) {
        const __m512d d = _mm512_castps_pd(v);
        const __m256 h = _mm256_add_ps(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(__mmask8(0xFF), d, 0)),
                                       _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(__mmask8(0xFF), d, 1)));
        const __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
        const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
        return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
    }
};
#endif

#if defined(__AVX2__) && defined(__FMA__)
template <>
struct Lanes<Avx2> {
    using V = __m256;
    using M = __m256;  // all-ones / all-zeros lanes
    static constexpr int kLanes = 8;

    KILN_X86_INLINE static M all() { return _mm256_castsi256_ps(_mm256_set1_epi32(-1)); }
    KILN_X86_INLINE static M none() { return _mm256_setzero_ps(); }
    KILN_X86_INLINE static M range(int64_t lo, int64_t hi) { return _mm256_castsi256_ps(Avx2::mask_range(lo, hi)); }
    KILN_X86_INLINE static M and_(M a, M b) { return _mm256_and_ps(a, b); }
    KILN_X86_INLINE static M andnot(M a, M b) { return _mm256_andnot_ps(a, b); }
    KILN_X86_INLINE static M or_(M a, M b) { return _mm256_or_ps(a, b); }
    KILN_X86_INLINE static bool any(M m) { return _mm256_movemask_ps(m) != 0; }

    KILN_X86_INLINE static V shift_up(V v, int64_t k, M m) {
        const __m256i idx = _mm256_sub_epi32(_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0), _mm256_set1_epi32(int(k)));
        return _mm256_and_ps(_mm256_permutevar8x32_ps(v, idx), m);
    }
    KILN_X86_INLINE static V load_clip(const float* row, int64_t start, int64_t limit, M m) {
        const int64_t lo = start < 0 ? -start : 0;
        const M keep = _mm256_and_ps(m, range(lo, limit - start));
        const int bits = _mm256_movemask_ps(keep);
        if (!bits) return _mm256_setzero_ps();
        if (lo == 0) return _mm256_maskload_ps(row + start, _mm256_castps_si256(keep));
        // Bits of keep moved down by lo, as a lane mask.
        const __m256i idx = _mm256_add_epi32(_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0), _mm256_set1_epi32(int(lo)));
        const __m256i down = _mm256_and_si256(_mm256_permutevar8x32_epi32(_mm256_castps_si256(keep), idx),
                                              Avx2::mask(8 - lo));
        return shift_up(_mm256_maskload_ps(row, down), lo, keep);
    }
    KILN_X86_INLINE static V maskz_load(M m, const float* p) { return _mm256_maskload_ps(p, _mm256_castps_si256(m)); }
    KILN_X86_INLINE static void mask_store(M m, float* p, V v) { _mm256_maskstore_ps(p, _mm256_castps_si256(m), v); }
    KILN_X86_INLINE static V load_clip(const float* row, int64_t start, int64_t limit) {
        if (start >= 0 && start + 8 <= limit) return _mm256_loadu_ps(row + start);
        return load_clip(row, start, limit, all());
    }
    KILN_X86_INLINE static V even(V a, V b) {
        const V mixed = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), _MM_SHUFFLE(3, 1, 2, 0)));
    }
    KILN_X86_INLINE static V odd(V a, V b) {
        const V mixed = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
        return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), _MM_SHUFFLE(3, 1, 2, 0)));
    }
    // [p7, v0, ..., v6]: the 128-bit halves [p4..p7 | v0..v3] then a per-half byte align.
    KILN_X86_INLINE static V prev1(V v, V p) {
        const __m256i t = _mm256_castps_si256(_mm256_permute2f128_ps(p, v, 0x21));
        return _mm256_castsi256_ps(_mm256_alignr_epi8(_mm256_castps_si256(v), t, 12));
    }
    // [v1, ..., v7, c0]: the 128-bit halves [v4..v7 | c0..c3] then a per-half byte align.
    KILN_X86_INLINE static V next1(V v, V c) {
        const __m256i t = _mm256_castps_si256(_mm256_permute2f128_ps(v, c, 0x21));
        return _mm256_castsi256_ps(_mm256_alignr_epi8(t, _mm256_castps_si256(v), 4));
    }
    KILN_X86_INLINE static V select(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
    // _mm256_max_ps(v, acc) = v > acc ? v : acc (the second operand on NaN), as the portable update.
    KILN_X86_INLINE static V max_where(M m, V v, V acc) { return _mm256_blendv_ps(acc, _mm256_max_ps(v, acc), m); }
    KILN_X86_INLINE static V max(V v, V acc) { return _mm256_max_ps(v, acc); }
    KILN_X86_INLINE static V div(V a, V b) { return _mm256_div_ps(a, b); }
    KILN_X86_INLINE static float hsum(V v) {
        const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
        return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
    }
};
#endif

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
