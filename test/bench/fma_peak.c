/* The FMA throughput one core reaches, measured: test/bench/speed_bench.py's "% peak" is of this number.
 * Per ISA, a loop of 12 independent chains of vfmadd231ps (ymm for AVX2, zmm for AVX-512) in inline assembly
 * (the accumulators stay in registers whatever the compiler does), best of 5 timings of 2e8 instructions per
 * ISA. Prints one JSON line, e.g. {"avx2": 80.1, "avx512": 160.3} (GFLOP/s, 2 FLOP per lane per FMA); an ISA
 * the CPU lacks (__builtin_cpu_supports) is left out.
 *
 *   cc -O2 fma_peak.c -o fma_peak && ./fma_peak
 */
#include <stdio.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define FMA12(R)                                                                                              \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "0\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "1\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "2\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "3\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "4\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "5\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "6\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "7\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "8\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "9\n\t"                                                           \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "10\n\t"                                                          \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "11\n\t"

/* iterations x 12 FMAs on `lanes`-wide registers. The registers start at 0, so the values stay 0 (no
 * denormals, no infinities). R: the register prefix, ZERO: the instruction that clears register 0. */
#define FMA_LOOP(R, ZERO)                                                                                     \
    __asm__ volatile(ZERO " %%" R "0, %%" R "0, %%" R "0\n\t"                                                 \
                     "vmovaps %%" R "0, %%" R "1\n\tvmovaps %%" R "0, %%" R "2\n\tvmovaps %%" R "0, %%" R "3\n\t"  \
                     "vmovaps %%" R "0, %%" R "4\n\tvmovaps %%" R "0, %%" R "5\n\tvmovaps %%" R "0, %%" R "6\n\t"  \
                     "vmovaps %%" R "0, %%" R "7\n\tvmovaps %%" R "0, %%" R "8\n\tvmovaps %%" R "0, %%" R "9\n\t"  \
                     "vmovaps %%" R "0, %%" R "10\n\tvmovaps %%" R "0, %%" R "11\n\t"                             \
                     "vmovaps %%" R "0, %%" R "12\n\tvmovaps %%" R "0, %%" R "13\n\t"                             \
                     "1:\n\t" FMA12(R) "dec %0\n\tjnz 1b\n\t"                                                  \
                     "vzeroupper"                                                                              \
                     : "+r"(iterations)                                                                        \
                     :                                                                                         \
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",  \
                       "xmm11", "xmm12", "xmm13", "cc")

static void run(int lanes, long iterations) {
    if (lanes == 16)
        FMA_LOOP("zmm", "vpxord");
    else
        FMA_LOOP("ymm", "vxorps");
}

static double best_gflops(int lanes) {
    const long iterations = 200000000L / 12;
    double best = 0.0;
    for (int i = 0; i < 5; ++i) {
        const double t0 = seconds();
        run(lanes, iterations);
        const double s = seconds() - t0;
        const double g = 12.0 * (double)iterations * lanes * 2 / s / 1e9;
        if (g > best) best = g;
    }
    return best;
}

int main(void) {
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const int avx512 = __builtin_cpu_supports("avx512f");
    printf("{");
    if (avx2) printf("\"avx2\": %.1f", best_gflops(8));
    if (avx512) printf("%s\"avx512\": %.1f", avx2 ? ", " : "", best_gflops(16));
    printf("}\n");
    return 0;
}
