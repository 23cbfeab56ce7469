// Microbenchmarks of backends/x86/kernels/depthwise.h and pool.h against the portable kernels on the
// MobileNetV2 depthwise layers and the ResNet-18 / SqueezeNet 1.1 / classifier-head pooling layers. Built
// once per ISA (KILN_X86_ISA) at -O2 (as the x86 targets build generated code), the portable kernels with the same flags.
// Counters: FLOP/s (depthwise: 2 * 9 per output), GB/s (input + output bytes per call).
//   ./build/test/x86/kiln_x86_avx512_dwpool_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/portable/kernels/pool.h"
#include "backends/x86/kernels/depthwise.h"
#include "backends/x86/kernels/pool.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::random_floats;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

void set_counters(benchmark::State& s, double flops, double bytes) {
    if (flops > 0) s.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
    s.counters["B/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- depthwise 3x3, pad 1, bias + ReLU6: args C, H (= W), stride ----
const k::Epilogue kRelu6{k::kActClip, 0.0f, 6.0f};

// The kernels through calls the compiler does not inline, with parameters it cannot see (as in generated
// code, where one instantiation serves every layer): otherwise a benchmark with one call site gets a copy
// specialised for its constant shape.
__attribute__((noinline)) void call_dw(const float* x, const float* w, const float* b, float* y,
                                       const x::Depthwise3x3Params& p, float* ws) {
    x::depthwise3x3<Isa>(x, w, b, nullptr, y, p, kRelu6, ws);
}
__attribute__((noinline)) void call_maxpool(const float* x, float* y, const k::PoolParams& p) { x::max_pool<Isa>(x, y, p); }


struct Dw {
    int64_t c, h, st, oh;
    explicit Dw(const benchmark::State& s) : c(s.range(0)), h(s.range(1)), st(s.range(2)), oh((h + 2 - 3) / st + 1) {}
    void count(benchmark::State& s) const {
        set_counters(s, 18.0 * double(c * oh * oh), 4.0 * double(c * (h * h + oh * oh)));
    }
};

void depthwise_x86(benchmark::State& s) {
    const Dw d(s);
    const auto xs = random_floats(d.c * d.h * d.h), w = random_floats(d.c * 9), bias = random_floats(d.c);
    std::vector<float> y(static_cast<size_t>(d.c * d.oh * d.oh));
    const x::Depthwise3x3Params p{1, d.c, d.h, d.h, d.oh, d.oh, d.st, 1, 1};
    for (auto _ : s) {
        call_dw(xs.data(), w.data(), bias.data(), y.data(), p, nullptr);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    d.count(s);
}

// With the workspace the compiler reserves (depthwise3x3_workspace_floats): the kernel's own choice of path.
void depthwise_x86_ws(benchmark::State& s) {
    const Dw d(s);
    const auto xs = random_floats(d.c * d.h * d.h), w = random_floats(d.c * 9), bias = random_floats(d.c);
    std::vector<float> y(static_cast<size_t>(d.c * d.oh * d.oh));
    const x::Depthwise3x3Params p{1, d.c, d.h, d.h, d.oh, d.oh, d.st, 1, 1};
    std::vector<float> ws(static_cast<size_t>(x::depthwise3x3_workspace_floats(p, Isa::kLanes)) + 1);
    for (auto _ : s) {
        call_dw(xs.data(), w.data(), bias.data(), y.data(), p, ws.size() > 1 ? ws.data() : nullptr);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    d.count(s);
}

// The channels-in-lanes path forced on every shape (to compare with the row kernel, depthwise_x86).
void depthwise_x86_hwc(benchmark::State& s) {
    const Dw d(s);
    const auto xs = random_floats(d.c * d.h * d.h), w = random_floats(d.c * 9), bias = random_floats(d.c);
    std::vector<float> y(static_cast<size_t>(d.c * d.oh * d.oh));
    const x::Depthwise3x3Params p{1, d.c, d.h, d.h, d.oh, d.oh, d.st, 1, 1};
    std::vector<float> ws(static_cast<size_t>(x::depthwise3x3_hwc_rows(p) * x::depthwise3x3_hwc_cols(p) * Isa::kLanes + 16));
    for (auto _ : s) {
        x::dw::depthwise3x3_hwc<Isa>(xs.data(), w.data(), bias.data(), nullptr, y.data(), p, kRelu6, ws.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    d.count(s);
}

void depthwise_portable(benchmark::State& s) {
    const Dw d(s);
    const auto xs = random_floats(d.c * d.h * d.h), w = random_floats(d.c * 9), bias = random_floats(d.c);
    std::vector<float> y(static_cast<size_t>(d.c * d.oh * d.oh));
    const k::ConvParams p{1, d.c, d.c, d.c,
                          k::Window{{1, d.h, d.h}, {1, d.oh, d.oh}, {1, 3, 3}, {1, d.st, d.st}, {1, 1, 1}, {0, 1, 1}}};
    for (auto _ : s) {
        k::conv_fused(xs.data(), w.data(), bias.data(), static_cast<const float*>(nullptr), y.data(), p, kRelu6);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    d.count(s);
}

// MobileNetV2 (224 input): every depthwise layer shape, {C, H, stride}.
void depthwise_shapes(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][3] = {{32, 112, 1},  {96, 112, 2}, {144, 56, 1}, {144, 56, 2}, {192, 28, 1},
                                 {192, 28, 2},  {384, 14, 1}, {576, 14, 1}, {576, 14, 2}, {960, 7, 1}};
    for (const auto& sh : shapes) b->Args({sh[0], sh[1], sh[2]});
}

// The same planes with few channels, so input and output stay in L1/L2: the kernel's own speed.
void depthwise_small(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][3] = {{2, 112, 1}, {2, 112, 2}, {8, 56, 1}, {8, 56, 2}, {16, 28, 1},
                                 {16, 28, 2}, {32, 14, 1}, {32, 14, 2}, {64, 7, 1}};
    for (const auto& sh : shapes) b->Args({sh[0], sh[1], sh[2]});
}

// ---- MaxPool 3x3 stride 2: args C, H (= W), pad, ceil_mode ----
k::PoolParams max_params(const benchmark::State& s) {
    const int64_t c = s.range(0), h = s.range(1), pad = s.range(2), ceil_mode = s.range(3);
    const int64_t room = h + 2 * pad - 3;
    int64_t o = (ceil_mode ? (room + 1) / 2 : room / 2) + 1;
    if (ceil_mode && (o - 1) * 2 >= h + pad) --o;
    k::PoolParams p{};
    p.planes = c;
    p.win = k::Window{{1, h, h}, {1, o, o}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, pad, pad}};
    p.pad_end[1] = p.pad_end[2] = pad;
    return p;
}

int64_t out_floats(const k::PoolParams& p) { return p.planes * p.win.out[1] * p.win.out[2]; }

void maxpool_x86(benchmark::State& s) {
    const k::PoolParams p = max_params(s);
    const auto xs = random_floats(p.planes * k::window_in_size(p.win));
    std::vector<float> y(static_cast<size_t>(out_floats(p)));
    for (auto _ : s) {
        call_maxpool(xs.data(), y.data(), p);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_counters(s, 0, 4.0 * double(xs.size() + y.size()));
}

void maxpool_portable(benchmark::State& s) {
    const k::PoolParams p = max_params(s);
    const auto xs = random_floats(p.planes * k::window_in_size(p.win));
    std::vector<float> y(static_cast<size_t>(out_floats(p)));
    for (auto _ : s) {
        k::max_pool(xs.data(), y.data(), static_cast<int64_t*>(nullptr), p);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_counters(s, 0, 4.0 * double(xs.size() + y.size()));
}

// ResNet-18 (64@112, pad 1) and SqueezeNet 1.1 (ceil_mode, no pad).
void maxpool_shapes(benchmark::internal::Benchmark* b) {
    b->Args({64, 112, 1, 0});
    b->Args({64, 111, 0, 1});
    b->Args({128, 55, 0, 1});
    b->Args({256, 27, 0, 1});
}

// The same planes with few channels (input and output in L1/L2): the kernel's own speed.
void maxpool_small(benchmark::internal::Benchmark* b) {
    b->Args({4, 112, 1, 0});
    b->Args({4, 111, 0, 1});
    b->Args({16, 55, 0, 1});
    b->Args({32, 27, 0, 1});
}

// ---- GlobalAveragePool: args planes, plane size ----
void gap_x86(benchmark::State& s) {
    const int64_t planes = s.range(0), size = s.range(1);
    const auto xs = random_floats(planes * size);
    std::vector<float> y(static_cast<size_t>(planes));
    for (auto _ : s) {
        x::global_avg_pool<Isa>(xs.data(), y.data(), planes, size);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_counters(s, 0, 4.0 * double(xs.size() + y.size()));
}

void gap_portable(benchmark::State& s) {
    const int64_t planes = s.range(0), size = s.range(1);
    const auto xs = random_floats(planes * size);
    std::vector<float> y(static_cast<size_t>(planes));
    k::PoolParams p{};
    p.planes = planes;
    p.win = k::Window{{1, 1, size}, {1, 1, 1}, {1, 1, size}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}};
    for (auto _ : s) {
        k::avg_pool(xs.data(), y.data(), p);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_counters(s, 0, 4.0 * double(xs.size() + y.size()));
}

void gap_shapes(benchmark::internal::Benchmark* b) {
    b->Args({512, 49});    // ResNet-18
    b->Args({1280, 49});   // MobileNetV2
    b->Args({1000, 169});  // SqueezeNet 1.1
}

}  // namespace

BENCHMARK(depthwise_x86)->Apply(depthwise_shapes);
BENCHMARK(depthwise_x86_ws)->Apply(depthwise_shapes);
BENCHMARK(depthwise_x86_hwc)->Apply(depthwise_shapes);
BENCHMARK(depthwise_portable)->Apply(depthwise_shapes);
BENCHMARK(depthwise_x86)->Apply(depthwise_small);
BENCHMARK(depthwise_portable)->Apply(depthwise_small);
BENCHMARK(maxpool_x86)->Apply(maxpool_shapes);
BENCHMARK(maxpool_portable)->Apply(maxpool_shapes);
BENCHMARK(maxpool_x86)->Apply(maxpool_small);
BENCHMARK(gap_x86)->Apply(gap_shapes);
BENCHMARK(gap_portable)->Apply(gap_shapes);
BENCHMARK_MAIN();
