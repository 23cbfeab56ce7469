// Microbenchmark of backends/x86/kernels/winograd4.h (F(4x4, 3x3)) on the 3x3 stride-1 layers of ResNet-18
// and SqueezeNet 1.1, with F(2x2, 3x3) (winograd.h) and conv_packed (conv_packed.h) on the same shapes in the
// same run (the machine is shared: compare ratios within one run). Counter FLOP/s = 2 x the direct
// convolution's MACs (2 Cout Cin 9 OH OW), as winograd_bench.cpp and conv_packed_bench.cpp count; bias + ReLU
// fused; buffers 64-byte aligned (as the generated code's arena).
//   ./build/test/x86/kiln_x86_avx512_winograd4_bench --benchmark_min_time=0.2
// wino4_budget/Cin/Cout/H/budget: the same with V + M blocked to `budget` KiB (tuning winograd4_block_rows);
// other/...: more shapes for the crossover (--benchmark_filter=other).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/conv_packed.h"
#include "backends/x86/kernels/winograd.h"
#include "backends/x86/kernels/winograd4.h"
#include "x86_test_support.h"

namespace {

using Isa = kiln::kernels::x86::KILN_X86_ISA;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

using kiln::test_x86::Buffer;
using kiln::test_x86::random_buffer;

const k::Epilogue kRelu{k::kActRelu, 0, 0};

void set_flops(benchmark::State& s, int64_t cin, int64_t cout, int64_t hw) {
    s.counters["FLOP/s"] = benchmark::Counter(2.0 * double(cin * cout * 9 * hw * hw),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

// args: Cin, Cout, H = W (pad 1: the output is H x W too) [, V + M budget in KiB]
void wino4(benchmark::State& s) {
    const int64_t cin = s.range(0), cout = s.range(1), hw = s.range(2);
    auto xs = random_buffer(cin * hw * hw), w = random_buffer(cout * cin * 9), bias = random_buffer(cout);
    Buffer packed(x::winograd4_packed_floats(cout, cin, Isa::kMr));
    x::winograd4_pack_weights(w.data(), cout, cin, Isa::kMr, packed.data());
    const int64_t rows = s.range(3) > 0
                             ? x::winograd4_block_rows(cin, cout, hw, hw, Isa::kLanes, s.range(3) * 1024 / 4)
                             : x::winograd4_block_rows(cin, cout, hw, hw, Isa::kLanes);
    s.counters["rows"] = double(rows);
    Buffer ws(x::winograd4_workspace_floats(cin, cout, hw, rows, Isa::kLanes));
    Buffer y(cout * hw * hw);
    const x::WinogradParams p{1, cin, cout, hw, hw, hw, hw, 1, 1, rows};
    for (auto _ : s) {
        x::winograd4x4_3x3<Isa>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), p, kRelu, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, cin, cout, hw);
}

void wino2(benchmark::State& s) {
    const int64_t cin = s.range(0), cout = s.range(1), hw = s.range(2);
    auto xs = random_buffer(cin * hw * hw), w = random_buffer(cout * cin * 9), bias = random_buffer(cout);
    Buffer packed(x::winograd_packed_floats(cout, cin, Isa::kMr));
    x::winograd_pack_weights(w.data(), cout, cin, Isa::kMr, packed.data());
    const int64_t rows = x::winograd_block_rows(cin, cout, hw, hw, Isa::kLanes);
    Buffer ws(x::winograd_workspace_floats(cin, cout, hw, rows, Isa::kLanes));
    Buffer y(cout * hw * hw);
    const x::WinogradParams p{1, cin, cout, hw, hw, hw, hw, 1, 1, rows};
    for (auto _ : s) {
        x::winograd3x3<Isa>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), p, kRelu, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, cin, cout, hw);
}

void conv_packed(benchmark::State& s) {
    const int64_t cin = s.range(0), cout = s.range(1), hw = s.range(2);
    const k::ConvParams p{1, cin, cout, 1, k::Window{{1, hw, hw}, {1, hw, hw}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}}};
    const k::Window& win = p.win;
    auto xs = random_buffer(cin * hw * hw), w = random_buffer(cout * cin * 9), bias = random_buffer(cout);
    Buffer packed(x::conv_packed_weight_floats(cout, cin * 9, 1, Isa::kMr));
    x::pack_conv_weights(w.data(), cout, cin, 9, 1, Isa::kMr, packed.data());
    Buffer ws(x::conv_packed_workspace_floats(&win.in[1], &win.out[1], &win.kernel[1], &win.stride[1],
                                              &win.dilation[1], &win.pad[1], cin, Isa::kNv * Isa::kLanes) + 1);
    Buffer y(cout * hw * hw);
    for (auto _ : s) {
        x::conv_packed<Isa>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), p, kRelu, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(s, cin, cout, hw);
}

const int64_t kShapes[][3] = {
    {64, 64, 56}, {128, 128, 28}, {256, 256, 14}, {512, 512, 7},  // ResNet-18
    {16, 64, 55}, {32, 128, 27},  {48, 192, 13},  {64, 256, 13},  // SqueezeNet 1.1 expand3x3
};

// Where the crossover lies: DenseNet-121's 128 -> 32 at every plane, small planes with wide channels.
const int64_t kOtherShapes[][3] = {{128, 32, 56}, {128, 32, 28}, {128, 32, 14}, {128, 32, 7},
                                   {256, 256, 10}, {512, 512, 10}, {64, 64, 7},  {32, 32, 56}};

void shapes(benchmark::internal::Benchmark* b) {
    for (const auto& sh : kShapes) b->Args({sh[0], sh[1], sh[2], 0});
}
void other_shapes(benchmark::internal::Benchmark* b) {
    for (const auto& sh : kOtherShapes) b->Args({sh[0], sh[1], sh[2], 0});
}
void budgets(benchmark::internal::Benchmark* b) {
    for (const auto& sh : kShapes)
        for (int64_t kib : {256, 512, 768, 1024, 1536, 2048}) b->Args({sh[0], sh[1], sh[2], kib});
}

BENCHMARK(wino4)->Apply(shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK(wino2)->Apply([](benchmark::internal::Benchmark* b) {
    for (const auto& sh : kShapes) b->Args({sh[0], sh[1], sh[2]});
})->Unit(benchmark::kMicrosecond);
BENCHMARK(conv_packed)->Apply([](benchmark::internal::Benchmark* b) {
    for (const auto& sh : kShapes) b->Args({sh[0], sh[1], sh[2]});
})->Unit(benchmark::kMicrosecond);
BENCHMARK(wino4)->Apply(budgets)->Name("wino4_budget")->Unit(benchmark::kMicrosecond);
BENCHMARK(wino4)->Apply(other_shapes)->Name("other/wino4")->Unit(benchmark::kMicrosecond);
BENCHMARK(wino2)->Apply(other_shapes)->Name("other/wino2")->Unit(benchmark::kMicrosecond);
BENCHMARK(conv_packed)->Apply(other_shapes)->Name("other/conv_packed")->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
