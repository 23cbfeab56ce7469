// Microbenchmark of backends/x86/kernels/elementwise_chain.h against the portable elementwise_chain (same flags,
// -O2) on DenseNet-121's pre-convolution BatchNorm + ReLU chains (per-channel Mul, per-channel Add, Relu over
// C x H*W, batch 1). Counter B/s: input + output bytes per call.
//   ./build/test/x86/kiln_x86_avx512_chain_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "backends/portable/kernels/elementwise_chain.h"
#include "backends/x86/kernels/elementwise_chain.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Buffer;
using kiln::test_x86::Isa;
using kiln::test_x86::random_buffer;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

// Args: C, H*W.
k::ChainParams bn_relu(int64_t c, int64_t hw) {
    k::ChainParams p{};
    p.n = c * hw;
    p.num_steps = 3;
    p.inner[0] = 1;
    p.count[0] = p.n;
    p.inner[1] = p.inner[2] = hw;
    p.count[1] = p.count[2] = c;
    p.steps[0] = {k::kChainMul, 1, 0, 0, 0};
    p.steps[1] = {k::kChainAdd, 2, 0, 0, 0};
    p.steps[2] = {k::kChainRelu, -1, 0, 0, 0};
    return p;
}

// Through calls the compiler does not inline, with parameters it cannot see (as in generated code).
__attribute__((noinline)) void call_x86(const k::ChainInputs<float>& in, float* y, const k::ChainParams& p) {
    x::elementwise_chain<Isa>(in, y, p);
}
__attribute__((noinline)) void call_portable(const k::ChainInputs<float>& in, float* y, const k::ChainParams& p) {
    k::elementwise_chain(in, y, p);
}

template <bool X86>
void chain(benchmark::State& s) {
    const int64_t c = s.range(0), hw = s.range(1);
    const k::ChainParams p = bn_relu(c, hw);
    Buffer xs = random_buffer(c * hw), scale = random_buffer(c), shift = random_buffer(c + 1), y(c * hw);
    const k::ChainInputs<float> in{{xs.data(), scale.data(), shift.data()}};
    for (auto _ : s) {
        if (X86)
            call_x86(in, y.data(), p);
        else
            call_portable(in, y.data(), p);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    s.counters["B/s"] = benchmark::Counter(8.0 * double(c * hw), benchmark::Counter::kIsIterationInvariantRate);
}

// DenseNet-121 at 224x224: the first and last chain of each dense block (the input grows by 32 channels a layer)
// and the transition layers' chains.
void densenet(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][2] = {{64, 3136},  {224, 3136}, {256, 3136}, {128, 784}, {480, 784}, {512, 784},
                                 {256, 196},  {992, 196},  {1024, 196}, {512, 49},  {1024, 49}};
    for (const auto& s : shapes) b->Args({s[0], s[1]});
}

}  // namespace

BENCHMARK(chain<true>)->Apply(densenet)->Name("chain/x86");
BENCHMARK(chain<false>)->Apply(densenet)->Name("chain/portable");
BENCHMARK_MAIN();
