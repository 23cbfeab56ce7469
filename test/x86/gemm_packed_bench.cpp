// Microbenchmarks of backends/x86/kernels/gemm_packed.h against the portable kernels on ResNet-18- and
// MobileNetV2-like shapes; counter FLOP/s = 2 * M * N * K per call. Built once per ISA (KILN_X86_ISA).
//   ./build/test/x86/kiln_x86_avx512_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/portable/kernels/gemm.h"
#include "backends/x86/kernels/depthwise.h"
#include "backends/x86/kernels/gemm_packed.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::random_floats;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

void set_flops(benchmark::State& s, int64_t m, int64_t n, int64_t kk) {
    s.counters["FLOP/s"] = benchmark::Counter(2.0 * double(m) * double(n) * double(kk),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

const k::Epilogue kRelu{k::kActRelu, 0, 0};

// 1x1 convolution, NCHW: args Cout, Cin, HW (batch 1), bias + ReLU fused.
void conv1x1_x86(benchmark::State& s) {
    const int64_t cout = s.range(0), cin = s.range(1), hw = s.range(2);
    const auto xs = random_floats(cin * hw), w = random_floats(cout * cin), bias = random_floats(cout);
    std::vector<float> packed(static_cast<size_t>(x::packed_a_floats(cout, cin, Isa::kMr)));
    x::pack_a(w.data(), cout, cin, Isa::kMr, packed.data());
    std::vector<float> y(static_cast<size_t>(cout * hw));
    for (auto _ : s) {
        x::conv1x1_packed<Isa>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), 1, cin, cout, hw, kRelu);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, cout, hw, cin);
}

// The same with the X strip copied into a contiguous workspace panel first.
void conv1x1_x86_strip(benchmark::State& s) {
    const int64_t cout = s.range(0), cin = s.range(1), hw = s.range(2);
    const auto xs = random_floats(cin * hw), w = random_floats(cout * cin), bias = random_floats(cout);
    std::vector<float> packed(static_cast<size_t>(x::packed_a_floats(cout, cin, Isa::kMr)));
    x::pack_a(w.data(), cout, cin, Isa::kMr, packed.data());
    std::vector<float> y(static_cast<size_t>(cout * hw)), strip(static_cast<size_t>(x::conv1x1_strip_floats<Isa>(cin)));
    for (auto _ : s) {
        x::conv1x1_packed<Isa>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), 1, cin, cout, hw, kRelu,
                               strip.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, cout, hw, cin);
}

void conv1x1_portable(benchmark::State& s) {
    const int64_t cout = s.range(0), cin = s.range(1), hw = s.range(2);
    const auto xs = random_floats(cin * hw), w = random_floats(cout * cin), bias = random_floats(cout);
    std::vector<float> y(static_cast<size_t>(cout * hw));
    const k::ConvParams p{1, cin, cout, 1, k::Window{{1, 1, hw}, {1, 1, hw}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}}};
    for (auto _ : s) {
        k::conv_fused(xs.data(), w.data(), bias.data(), static_cast<const float*>(nullptr), y.data(), p, kRelu);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, cout, hw, cin);
}

// Gemm with constant B (a Linear layer / a 1x1 conv in NHWC): args M, N, K; bias per column + ReLU.
void gemm_x86(benchmark::State& s) {
    const int64_t m = s.range(0), n = s.range(1), kk = s.range(2);
    constexpr int64_t nr = Isa::kNv * Isa::kLanes;
    const auto a = random_floats(m * kk), b = random_floats(kk * n), bias = random_floats(n);
    std::vector<float> packed(static_cast<size_t>(x::packed_b_floats(kk, n, nr)));
    x::pack_b(b.data(), kk, n, false, 1.0f, nr, packed.data());
    std::vector<float> y(static_cast<size_t>(m * n));
    for (auto _ : s) {
        x::gemm_packed_b<Isa>(a.data(), kk, packed.data(), bias.data(), nullptr, y.data(), m, n, kk, kRelu);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, m, n, kk);
}

void gemm_portable(benchmark::State& s) {
    const int64_t m = s.range(0), n = s.range(1), kk = s.range(2);
    const auto a = random_floats(m * kk), b = random_floats(kk * n), bias = random_floats(n);
    std::vector<float> y(static_cast<size_t>(m * n));
    const k::GemmParams p{m, n, kk, 0, 0, 1.0f, 1.0f, 1, 0, 1};
    for (auto _ : s) {
        k::gemm_fused(a.data(), b.data(), bias.data(), static_cast<const float*>(nullptr), y.data(), p, kRelu);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, m, n, kk);
}

// {Cout, Cin, HW}: ResNet-18 widths at their resolutions, then MobileNetV2 expand/project layers.
void conv_shapes(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][3] = {
        {64, 64, 56 * 56},   {128, 128, 28 * 28}, {256, 256, 14 * 14}, {512, 512, 7 * 7},
        {144, 24, 56 * 56},  {32, 192, 28 * 28},  {384, 64, 14 * 14},  {96, 576, 14 * 14},
        {960, 160, 7 * 7},   {1280, 320, 7 * 7},
    };
    for (const auto& s : shapes) b->Args({s[0], s[1], s[2]});
}

// {M, N, K}: the same 1x1 layers in NHWC form (M = HW, N = Cout, K = Cin) and classifier heads.
void gemm_shapes(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][3] = {
        {56 * 56, 64, 64}, {28 * 28, 128, 128}, {14 * 14, 256, 256}, {7 * 7, 512, 512},
        {1, 1000, 512},    {1, 1000, 1280},     {64, 1000, 512},
    };
    for (const auto& s : shapes) b->Args({s[0], s[1], s[2]});
}

// Depthwise 3x3, pad 1, bias + ReLU6: args C, input H (= W), stride. FLOP/s counts 2 * 9 * C * OH * OW.
void dw_geometry(benchmark::State& s, int64_t& c, int64_t& h, int64_t& st, int64_t& oh) {
    c = s.range(0), h = s.range(1), st = s.range(2);
    oh = (h + 2 - 3) / st + 1;
}
const k::Epilogue kRelu6{k::kActClip, 0.0f, 6.0f};

void depthwise_x86(benchmark::State& s) {
    int64_t c, h, st, oh;
    dw_geometry(s, c, h, st, oh);
    const auto xs = random_floats(c * h * h), w = random_floats(c * 9), bias = random_floats(c);
    std::vector<float> y(static_cast<size_t>(c * oh * oh));
    const x::Depthwise3x3Params p{1, c, h, h, oh, oh, st, 1, 1};
    for (auto _ : s) {
        x::depthwise3x3<Isa>(xs.data(), w.data(), bias.data(), nullptr, y.data(), p, kRelu6);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, c * oh, oh, 9);
}

void depthwise_portable(benchmark::State& s) {
    int64_t c, h, st, oh;
    dw_geometry(s, c, h, st, oh);
    const auto xs = random_floats(c * h * h), w = random_floats(c * 9), bias = random_floats(c);
    std::vector<float> y(static_cast<size_t>(c * oh * oh));
    const k::ConvParams p{1, c, c, c, k::Window{{1, h, h}, {1, oh, oh}, {1, 3, 3}, {1, st, st}, {1, 1, 1}, {0, 1, 1}}};
    for (auto _ : s) {
        k::conv_fused(xs.data(), w.data(), bias.data(), static_cast<const float*>(nullptr), y.data(), p, kRelu6);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, c * oh, oh, 9);
}

// MobileNetV2's depthwise layers: {C, H, stride}.
void depthwise_shapes(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][3] = {{32, 112, 1}, {96, 112, 2}, {144, 56, 1}, {144, 56, 2}, {192, 28, 1},
                                 {384, 14, 1}, {576, 14, 2}, {960, 7, 1}};
    for (const auto& s : shapes) b->Args({s[0], s[1], s[2]});
}

}  // namespace

BENCHMARK(depthwise_x86)->Apply(depthwise_shapes);
BENCHMARK(depthwise_portable)->Apply(depthwise_shapes);
BENCHMARK(conv1x1_x86)->Apply(conv_shapes);
BENCHMARK(conv1x1_x86_strip)->Apply(conv_shapes);
BENCHMARK(conv1x1_portable)->Apply(conv_shapes);
BENCHMARK(gemm_x86)->Apply(gemm_shapes);
BENCHMARK(gemm_portable)->Apply(gemm_shapes);
BENCHMARK_MAIN();
