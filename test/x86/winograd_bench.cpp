// Microbenchmark of backends/x86/kernels/winograd.h against the portable convolution (same flags) on the
// 3x3 stride-1 layers of ResNet-18 and SqueezeNet 1.1. Counter FLOP/s = 2 x the direct convolution's MACs per
// call (what the layer is worth, not the multiplies Winograd does: 16 instead of 36 per tile and channel).
//   ./build/test/x86/kiln_x86_avx512_winograd_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/winograd.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::random_floats;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

const k::Epilogue kRelu{k::kActRelu, 0, 0};

// args: Cin, Cout, H = W (pad 1, so the output is H x W too)
void winograd(benchmark::State& s) {
    const int64_t cin = s.range(0), cout = s.range(1), hw = s.range(2);
    const auto xs = random_floats(cin * hw * hw), w = random_floats(cout * cin * 9), bias = random_floats(cout);
    std::vector<float> packed(static_cast<size_t>(x::winograd_packed_floats(cout, cin, Isa::kMr)));
    x::winograd_pack_weights(w.data(), cout, cin, Isa::kMr, packed.data());
    const int64_t rows = x::winograd_block_rows(cin, cout, hw, hw, Isa::kLanes);
    std::vector<float> ws(static_cast<size_t>(x::winograd_workspace_floats(cin, cout, hw, rows, Isa::kLanes)));
    std::vector<float> y(static_cast<size_t>(cout * hw * hw));
    const x::WinogradParams p{1, cin, cout, hw, hw, hw, hw, 1, 1, rows};
    for (auto _ : s) {
        x::winograd3x3<Isa>(xs.data(), packed.data(), bias.data(), nullptr, y.data(), p, kRelu, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    s.counters["FLOP/s"] = benchmark::Counter(2.0 * double(cin * cout * 9 * hw * hw),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void portable(benchmark::State& s) {
    const int64_t cin = s.range(0), cout = s.range(1), hw = s.range(2);
    const auto xs = random_floats(cin * hw * hw), w = random_floats(cout * cin * 9), bias = random_floats(cout);
    std::vector<float> y(static_cast<size_t>(cout * hw * hw));
    const k::ConvParams p{1, cin, cout, 1, k::Window{{1, hw, hw}, {1, hw, hw}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}}};
    for (auto _ : s) {
        k::conv_fused(xs.data(), w.data(), bias.data(), static_cast<const float*>(nullptr), y.data(), p, kRelu);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    s.counters["FLOP/s"] = benchmark::Counter(2.0 * double(cin * cout * 9 * hw * hw),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
    b->Args({64, 64, 56})->Args({128, 128, 28})->Args({256, 256, 14})->Args({512, 512, 7});  // ResNet-18
    b->Args({16, 64, 55})->Args({32, 128, 27})->Args({48, 192, 13})->Args({64, 256, 13});   // SqueezeNet 1.1
}

BENCHMARK(winograd)->Apply(shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK(portable)->Apply(shapes)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
