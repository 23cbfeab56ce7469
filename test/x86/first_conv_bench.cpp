// Microbenchmark of backends/x86/kernels/first_conv.h on the first layers of ResNet-18 (3 -> 64, 7x7 s2 p3,
// ReLU), SqueezeNet 1.1 (3 -> 64, 3x3 s2 p0, ReLU) and MobileNetV2 (3 -> 32, 3x3 s2 p1, Clip 0..6), 224x224
// input, batch 1, against conv_packed.h with both its tiles in the same run (the kernel the backend picked before;
// conv_cl.h's conv_direct_cl, the AVX2 choice for 7x7 first layers until first_conv, measured slower than it on
// all three and was removed). Counter FLOP/s = 2 * MACs per call; bias + activation fused; buffers 64-byte
// aligned (as the generated code's arena). Built once per ISA (KILN_X86_ISA).
//   ./build/test/x86/kiln_x86_avx512_first_conv_bench --benchmark_min_time=0.2 --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "backends/x86/kernels/conv_cl.h"
#include "backends/x86/kernels/conv_packed.h"
#include "backends/x86/kernels/first_conv.h"
#include "x86_test_support.h"

namespace {

using Isa = kiln::kernels::x86::KILN_X86_ISA;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

// conv_packed's second tile (pack.h) for this ISA.
constexpr int kRowMr = Isa::kLanes == 16 ? x::Avx512Tile::kRowMr : x::Avx2Tile::kRowMr;
constexpr int kRowNv = (Isa::kLanes == 16 ? x::Avx512Tile::kRowNr : x::Avx2Tile::kRowNr) / Isa::kLanes;

using kiln::test_x86::Buffer;
using kiln::test_x86::random_buffer;

// Args: Cin, Cout, input H (= W), kernel (square), stride, pad (all sides), activation (1 ReLU, 2 Clip 0..6).
k::ConvParams params_of(const benchmark::State& s) {
    const int64_t cin = s.range(0), cout = s.range(1), h = s.range(2), kr = s.range(3), st = s.range(4),
                  pad = s.range(5);
    const int64_t o = (h + 2 * pad - kr) / st + 1;
    return k::ConvParams{1, cin, cout, 1, k::Window{{1, h, h}, {1, o, o}, {1, kr, kr}, {1, st, st}, {1, 1, 1},
                                                    {0, pad, pad}}};
}
k::Epilogue act_of(const benchmark::State& s) {
    return s.range(6) == 2 ? k::Epilogue{k::kActClip, 0.0f, 6.0f} : k::Epilogue{k::kActRelu, 0, 0};
}

void set_flops(benchmark::State& s, const k::ConvParams& p) {
    const k::Window& w = p.win;
    const double macs = double(p.out_channels) * double(w.out[1] * w.out[2]) * double(p.in_channels / p.groups) *
                        double(w.kernel[1] * w.kernel[2]);
    s.counters["FLOP/s"] = benchmark::Counter(2.0 * macs, benchmark::Counter::kIsIterationInvariantRate);
}

void first_conv(benchmark::State& s) {
    const k::ConvParams p = params_of(s);
    const k::Epilogue act = act_of(s);
    const k::Window& w = p.win;
    const int64_t area = w.kernel[1] * w.kernel[2], kk = p.in_channels * area;
    const int co = x::first_conv_co(Isa::kLanes);
    auto xs = random_buffer(p.in_channels * w.in[1] * w.in[2]), wt = random_buffer(p.out_channels * kk);
    auto bias = random_buffer(p.out_channels);
    Buffer packed(x::first_conv_weight_floats(p.out_channels, p.in_channels, area, co));
    x::pack_first_conv_weights(wt.data(), p.out_channels, p.in_channels, area, co, packed.data());
    Buffer ws(x::first_conv_workspace_floats(&w.out[1], &w.kernel[1], &w.stride[1], &w.dilation[1], p.in_channels,
                                             Isa::kLanes));
    Buffer y(p.out_channels * w.out[1] * w.out[2]);
    for (auto _ : s) {
        x::first_conv<Isa>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), p, act, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, p);
}

// conv_packed with its default tile (MR x NV) or the 8 x 3 one the backend picks for these layers on AVX-512.
template <int MR = Isa::kMr, int NV = Isa::kNv>
void conv_packed(benchmark::State& s) {
    const k::ConvParams p = params_of(s);
    const k::Epilogue act = act_of(s);
    const k::Window& w = p.win;
    const int64_t kk = p.in_channels * w.kernel[1] * w.kernel[2];
    auto xs = random_buffer(p.in_channels * w.in[1] * w.in[2]), wt = random_buffer(p.out_channels * kk);
    auto bias = random_buffer(p.out_channels);
    Buffer packed(x::conv_packed_weight_floats(p.out_channels, kk, 1, MR));
    x::pack_conv_weights(wt.data(), p.out_channels, p.in_channels, kk / p.in_channels, 1, MR, packed.data());
    Buffer ws(x::conv_packed_workspace_floats(&w.in[1], &w.out[1], &w.kernel[1], &w.stride[1], &w.dilation[1],
                                              &w.pad[1], p.in_channels, NV * Isa::kLanes) + 1);
    Buffer y(p.out_channels * w.out[1] * w.out[2]);
    for (auto _ : s) {
        x::conv_packed<Isa, MR, NV>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), p, act, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, p);
}

// The three first layers, one benchmark per (layer, kernel) so a run compares them side by side.
void resnet18(benchmark::internal::Benchmark* b) { b->Args({3, 64, 224, 7, 2, 3, 1}); }
void squeezenet(benchmark::internal::Benchmark* b) { b->Args({3, 64, 224, 3, 2, 0, 1}); }
void mobilenetv2(benchmark::internal::Benchmark* b) { b->Args({3, 32, 224, 3, 2, 1, 2}); }

}  // namespace

BENCHMARK(first_conv)->Apply(resnet18)->Name("resnet18_conv1/first_conv");
BENCHMARK(conv_packed<>)->Apply(resnet18)->Name("resnet18_conv1/conv_packed");
BENCHMARK(conv_packed<kRowMr, kRowNv>)->Apply(resnet18)->Name("resnet18_conv1/conv_packed_rows");
BENCHMARK(first_conv)->Apply(squeezenet)->Name("squeezenet_conv1/first_conv");
BENCHMARK(conv_packed<>)->Apply(squeezenet)->Name("squeezenet_conv1/conv_packed");
BENCHMARK(conv_packed<kRowMr, kRowNv>)->Apply(squeezenet)->Name("squeezenet_conv1/conv_packed_rows");
BENCHMARK(first_conv)->Apply(mobilenetv2)->Name("mobilenetv2_conv0/first_conv");
BENCHMARK(conv_packed<>)->Apply(mobilenetv2)->Name("mobilenetv2_conv0/conv_packed");
BENCHMARK(conv_packed<kRowMr, kRowNv>)->Apply(mobilenetv2)->Name("mobilenetv2_conv0/conv_packed_rows");

// Other few-channel layers (for the choice rule): MNIST-like 1 -> 32 5x5 on 28x28, CIFAR-like 3 -> 16 3x3 on 32x32,
// a narrow 14x14 plane, 4 input channels, a 1x1.
namespace {
void others(benchmark::internal::Benchmark* b) {
    b->Args({1, 32, 28, 5, 1, 2, 1});
    b->Args({3, 16, 32, 3, 1, 1, 1});
    b->Args({3, 64, 14, 3, 1, 1, 1});
    b->Args({3, 64, 7, 3, 1, 1, 1});
    b->Args({4, 24, 224, 3, 2, 1, 1});
    b->Args({3, 32, 56, 1, 1, 0, 1});
    b->Args({3, 64, 48, 3, 1, 1, 1});
    b->Args({3, 64, 32, 3, 1, 1, 1});
    b->Args({3, 64, 48, 7, 1, 3, 1});
}
}  // namespace
BENCHMARK(first_conv)->Apply(others)->Name("other/first_conv");
BENCHMARK(conv_packed<>)->Apply(others)->Name("other/conv_packed");
BENCHMARK(conv_packed<kRowMr, kRowNv>)->Apply(others)->Name("other/conv_packed_rows");
BENCHMARK_MAIN();
