// Microbenchmark of backends/x86/kernels/conv_packed.h on the real convolution layers of ResNet-18,
// MobileNetV2 and SqueezeNet 1.1 (224x224 input, batch 1), against the portable conv_fused built with the
// same flags. Counter FLOP/s = 2 * MACs per call; bias + ReLU fused; buffers 64-byte aligned (as the
// generated code's arena). Built once per ISA (KILN_X86_ISA).
//   ./build/test/x86/kiln_x86_avx512_conv_bench --benchmark_min_time=0.2 [--benchmark_filter=x86]
// (the portable runs are slow: --benchmark_filter=x86 for the x86 ones only)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/conv_cl.h"
#include "backends/x86/kernels/conv_packed.h"
#include "x86_test_support.h"

namespace {

using Isa = kiln::kernels::x86::KILN_X86_ISA;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

using kiln::test_x86::Buffer;
using kiln::test_x86::random_buffer;

const k::Epilogue kRelu{k::kActRelu, 0, 0};

// The second tile of pack.h for this ISA.
constexpr int kRowMr = Isa::kLanes == 16 ? x::Avx512Tile::kRowMr : x::Avx2Tile::kRowMr;
constexpr int kRowNv = (Isa::kLanes == 16 ? x::Avx512Tile::kRowNr : x::Avx2Tile::kRowNr) / Isa::kLanes;
// conv_cl's other tile height (pack.h conv_cl_mr: for 7x7 planes).
constexpr int kClAltMr = x::ClTileRows::alt(Isa::kLanes);

// Args: Cin, Cout, input H (= W), kernel (square), stride, pad (all sides).
k::ConvParams params_of(const benchmark::State& s) {
    const int64_t cin = s.range(0), cout = s.range(1), h = s.range(2), kr = s.range(3), st = s.range(4),
                  pad = s.range(5);
    const int64_t o = (h + 2 * pad - kr) / st + 1;
    return k::ConvParams{1, cin, cout, 1, k::Window{{1, h, h}, {1, o, o}, {1, kr, kr}, {1, st, st}, {1, 1, 1},
                                                    {0, pad, pad}}};
}

void set_flops(benchmark::State& s, const k::ConvParams& p) {
    const k::Window& w = p.win;
    const double macs = double(p.out_channels) * double(w.out[1] * w.out[2]) * double(p.in_channels / p.groups) *
                        double(w.kernel[1] * w.kernel[2]);
    s.counters["FLOP/s"] = benchmark::Counter(2.0 * macs, benchmark::Counter::kIsIterationInvariantRate);
}

// MR x NV: conv_packed's tile (the default, or the second one of pack.h: x86_row_tile).
template <int MR = Isa::kMr, int NV = Isa::kNv>
void conv_x86(benchmark::State& s) {
    const k::ConvParams p = params_of(s);
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
        x::conv_packed<Isa, MR, NV>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), p, kRelu, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, p);
}

// The same layer with the output channels in lanes (conv_cl.h), MR output pixels per tile.
template <int MR = Isa::kMr>
void conv_cl_x86(benchmark::State& s) {
    const k::ConvParams p = params_of(s);
    const k::Window& w = p.win;
    constexpr int64_t nr = Isa::kNv * Isa::kLanes;
    const int64_t area = w.kernel[1] * w.kernel[2], kk = p.in_channels * area;
    auto xs = random_buffer(p.in_channels * w.in[1] * w.in[2]), wt = random_buffer(p.out_channels * kk);
    auto bias = random_buffer(p.out_channels);
    Buffer packed(x::conv_packed_weight_floats(p.out_channels, kk, 1, nr));
    x::pack_conv_cl_weights(wt.data(), p.out_channels, p.in_channels, area, 1, nr, packed.data());
    Buffer ws(x::conv_cl_workspace_floats(w.out[1] * w.out[2], p.in_channels, area, p.out_channels, MR, nr));
    Buffer y(p.out_channels * w.out[1] * w.out[2]);
    for (auto _ : s) {
        x::conv_cl<Isa, MR>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), p, kRelu, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, p);
}

// The first layers of the three models.
void first_layers(benchmark::internal::Benchmark* b) {
    b->Args({3, 64, 224, 7, 2, 3});  // ResNet-18
    b->Args({3, 32, 224, 3, 2, 1});  // MobileNetV2
    b->Args({3, 64, 224, 3, 2, 0});  // SqueezeNet 1.1
}

void conv_portable(benchmark::State& s) {
    const k::ConvParams p = params_of(s);
    const k::Window& w = p.win;
    const int64_t kk = p.in_channels * w.kernel[1] * w.kernel[2];
    auto xs = random_buffer(p.in_channels * w.in[1] * w.in[2]), wt = random_buffer(p.out_channels * kk);
    auto bias = random_buffer(p.out_channels);
    Buffer y(p.out_channels * w.out[1] * w.out[2]);
    for (auto _ : s) {
        k::conv_fused(xs.data(), wt.data(), bias.data(), static_cast<const float*>(nullptr), y.data(), p, kRelu);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, p);
}

// {Cin, Cout, H, kernel, stride, pad}.
void resnet18(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][6] = {
        {3, 64, 224, 7, 2, 3},                                                   // conv1
        {64, 64, 56, 3, 1, 1},    {64, 128, 56, 3, 2, 1}, {128, 128, 28, 3, 1, 1}, {128, 256, 28, 3, 2, 1},
        {256, 256, 14, 3, 1, 1},  {256, 512, 14, 3, 2, 1}, {512, 512, 7, 3, 1, 1},
        {64, 128, 56, 1, 2, 0},   {128, 256, 28, 1, 2, 0}, {256, 512, 14, 1, 2, 0},  // downsample
    };
    for (const auto& s : shapes) b->Args({s[0], s[1], s[2], s[3], s[4], s[5]});
}
void mobilenetv2(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][6] = {
        {3, 32, 224, 3, 2, 1},                                                   // first conv
        {32, 16, 112, 1, 1, 0},  {16, 96, 112, 1, 1, 0}, {24, 144, 56, 1, 1, 0},  {144, 24, 56, 1, 1, 0},
        {192, 32, 28, 1, 1, 0},  {384, 64, 14, 1, 1, 0}, {576, 96, 14, 1, 1, 0},  {960, 160, 7, 1, 1, 0},
        {320, 1280, 7, 1, 1, 0}, {64, 384, 14, 1, 1, 0}, {96, 576, 14, 1, 1, 0},  {160, 960, 7, 1, 1, 0},
        {960, 320, 7, 1, 1, 0},
    };
    for (const auto& s : shapes) b->Args({s[0], s[1], s[2], s[3], s[4], s[5]});
}
void squeezenet(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][6] = {
        {3, 64, 224, 3, 2, 0},                                                   // conv1
        {64, 16, 55, 1, 1, 0},   {16, 64, 55, 1, 1, 0},   {16, 64, 55, 3, 1, 1},   // fire2
        {128, 16, 55, 1, 1, 0},  {256, 32, 27, 1, 1, 0},                           // fire3, fire5 squeeze
        {128, 32, 27, 1, 1, 0},  {32, 128, 27, 1, 1, 0},  {32, 128, 27, 3, 1, 1},  // fire4
        {256, 48, 13, 1, 1, 0},  {48, 192, 13, 1, 1, 0},  {48, 192, 13, 3, 1, 1},  // fire6
        {384, 64, 13, 1, 1, 0},  {64, 256, 13, 1, 1, 0},  {64, 256, 13, 3, 1, 1},  // fire8
        {512, 1000, 13, 1, 1, 0},                                                  // conv10
    };
    for (const auto& s : shapes) b->Args({s[0], s[1], s[2], s[3], s[4], s[5]});
}

}  // namespace

BENCHMARK(conv_x86<>)->Apply(resnet18)->Name("resnet18/x86");
BENCHMARK(conv_x86<kRowMr, kRowNv>)->Apply(resnet18)->Name("resnet18/x86_rows");
BENCHMARK(conv_cl_x86<>)->Apply(resnet18)->Name("resnet18/x86_cl");
BENCHMARK(conv_cl_x86<kClAltMr>)->Apply(resnet18)->Name("resnet18/x86_cl_alt");
BENCHMARK(conv_portable)->Apply(resnet18)->Name("resnet18/portable");
BENCHMARK(conv_x86<>)->Apply(mobilenetv2)->Name("mobilenetv2/x86");
BENCHMARK(conv_x86<kRowMr, kRowNv>)->Apply(mobilenetv2)->Name("mobilenetv2/x86_rows");
BENCHMARK(conv_cl_x86<>)->Apply(mobilenetv2)->Name("mobilenetv2/x86_cl");
BENCHMARK(conv_cl_x86<kClAltMr>)->Apply(mobilenetv2)->Name("mobilenetv2/x86_cl_alt");
BENCHMARK(conv_portable)->Apply(mobilenetv2)->Name("mobilenetv2/portable");
BENCHMARK(conv_x86<>)->Apply(squeezenet)->Name("squeezenet/x86");
BENCHMARK(conv_x86<kRowMr, kRowNv>)->Apply(squeezenet)->Name("squeezenet/x86_rows");
BENCHMARK(conv_cl_x86<>)->Apply(squeezenet)->Name("squeezenet/x86_cl");
BENCHMARK(conv_portable)->Apply(squeezenet)->Name("squeezenet/portable");
BENCHMARK(conv_x86<>)->Apply(first_layers)->Name("first/x86");
BENCHMARK(conv_cl_x86<>)->Apply(first_layers)->Name("first/x86_cl");
BENCHMARK_MAIN();
