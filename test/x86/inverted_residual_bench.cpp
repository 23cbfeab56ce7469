// Microbenchmark of backends/x86/kernels/inverted_residual_cl.h (kiln.InvertedResidual on planes up to 16x16)
// against the three layers it replaces on the x86 kernels the backend picks for them unfused (the 1x1s on
// conv_packed, or conv_cl on planes of up to 64 pixels; the depthwise layer on depthwise3x3 with its workspace),
// on MobileNetV2's 14x14 and 7x7 blocks (batch 1, ReLU6 on the first two stages, the residual where the model has
// it). As in the generated model, the weights come from L3: each call uses the next of 24 copies (the model's 14 MB
// of weights do not stay in L2 either); the activations stay hot. Counter FLOP/s = 2 * MACs of the three layers.
// Built once per ISA (KILN_X86_ISA).
//   ./build/test/x86/kiln_x86_avx2_invres_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "backends/x86/kernels/conv_cl.h"
#include "backends/x86/kernels/conv_packed.h"
#include "backends/x86/kernels/depthwise.h"
#include "backends/x86/kernels/inverted_residual_cl.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Buffer;
using kiln::test_x86::Isa;
using kiln::test_x86::random_buffer;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

constexpr int kNr = Isa::kNv * Isa::kLanes;
constexpr int kAltMr = x::ClTileRows::alt(Isa::kLanes);
constexpr int kCopies = 24;
const k::Epilogue kRelu6{k::kActClip, 0.0f, 6.0f};
const k::Epilogue kNone{k::kActNone, 0.0f, 0.0f};

// Args: Cin, expanded channels, Cout, H (= W), stride, residual (0/1).
struct Block {
    int64_t cin, ch, cout, h, stride, oh;
    bool residual;
    explicit Block(const benchmark::State& s)
        : cin(s.range(0)), ch(s.range(1)), cout(s.range(2)), h(s.range(3)), stride(s.range(4)),
          oh((s.range(3) + 2 - 3) / s.range(4) + 1), residual(s.range(5) != 0) {}
    x::InvertedResidualParams params() const { return {1, cin, ch, cout, h, h, oh, oh, stride, 1, 1, 0}; }
    void count(benchmark::State& s) const {
        const double macs = double(ch) * double(cin * h * h) + double(ch) * 9.0 * double(oh * oh) +
                            double(cout) * double(ch * oh * oh);
        s.counters["FLOP/s"] = benchmark::Counter(2.0 * macs, benchmark::Counter::kIsIterationInvariantRate);
    }
};

// One 1x1 layer as the backend runs it unfused: conv_cl (output channels in lanes) on planes of up to 64 pixels,
// else conv_packed (X read in place).
struct Pointwise {
    k::ConvParams p;
    bool cl;
    int64_t mr;
    std::vector<Buffer> packed;
    Buffer ws;
    Pointwise(int64_t cin, int64_t cout, int64_t h)
        : p{1, cin, cout, 1, k::Window{{1, h, h}, {1, h, h}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}}},
          cl(h * h <= 64), mr(x::conv_cl_mr(h * h, Isa::kLanes)),
          ws(cl ? x::conv_cl_workspace_floats(h * h, cin, 1, cout, mr, kNr) : 16) {
        Buffer w = random_buffer(cout * cin);
        for (int i = 0; i < kCopies; ++i) {
            if (cl) {
                packed.emplace_back((cout + kNr - 1) / kNr * kNr * cin);
                x::pack_conv_cl_weights(w.data(), cout, cin, 1, 1, kNr, packed.back().data());
            } else {
                packed.emplace_back(x::conv_packed_weight_floats(cout, cin, 1, Isa::kMr));
                x::pack_conv_weights(w.data(), cout, cin, 1, 1, Isa::kMr, packed.back().data());
            }
        }
    }
    void run(int copy, const float* xs, const float* bias, const float* z, float* y, const k::Epilogue& e) {
        float* w = packed[size_t(copy)].data();
        if (!cl) x::conv_packed<Isa>(xs, w, bias, z, y, p, e, nullptr);
        else if (mr == Isa::kMr) x::conv_cl<Isa, Isa::kMr>(xs, w, bias, z, y, p, e, ws.data());
        else x::conv_cl<Isa, kAltMr>(xs, w, bias, z, y, p, e, ws.data());
    }
};

__attribute__((noinline)) void call_unfused(Pointwise& pw, Pointwise& pj, int copy, const float* xs,
                                            const float* b1, const float* wd, const float* bd,
                                            const x::Depthwise3x3Params& dp, float* dws, const float* b2,
                                            const float* z, float* e, float* d, float* y) {
    pw.run(copy, xs, b1, nullptr, e, kRelu6);
    x::depthwise3x3<Isa>(e, wd, bd, nullptr, d, dp, kRelu6, dws);
    pj.run(copy, d, b2, z, y, kNone);
}

void unfused(benchmark::State& s) {
    const Block b(s);
    auto xs = random_buffer(b.cin * b.h * b.h), b1 = random_buffer(b.ch), wd = random_buffer(b.ch * 9),
         bd = random_buffer(b.ch), b2 = random_buffer(b.cout), z = random_buffer(b.cout * b.oh * b.oh);
    Buffer e(b.ch * b.h * b.h), d(b.ch * b.oh * b.oh), y(b.cout * b.oh * b.oh);
    Pointwise pw(b.cin, b.ch, b.h), pj(b.ch, b.cout, b.oh);
    const x::Depthwise3x3Params dp{1, b.ch, b.h, b.h, b.oh, b.oh, b.stride, 1, 1};
    Buffer dws(x::depthwise3x3_workspace_floats(dp, Isa::kLanes) + 1);
    const bool ws = x::depthwise3x3_workspace_floats(dp, Isa::kLanes) > 0;
    int copy = 0;
    for (auto _ : s) {
        call_unfused(pw, pj, copy, xs.data(), b1.data(), wd.data(), bd.data(), dp, ws ? dws.data() : nullptr,
                     b2.data(), b.residual ? z.data() : nullptr, e.data(), d.data(), y.data());
        copy = (copy + 1) % kCopies;
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    b.count(s);
}

template <int MR>
__attribute__((noinline)) void call_fused(const float* xs, const float* packed, const x::IrClPacking& pk,
                                          const float* b1, const float* b2, const float* z, float* y,
                                          const x::InvertedResidualParams& ip, float* ws) {
    x::inverted_residual_cl<Isa, MR>(xs, packed, b1, packed + pk.wd_offset, packed + pk.w2_offset, b2, z, y, ip,
                                     kRelu6, kRelu6, kNone, ws);
}

void fused(benchmark::State& s) {
    const Block b(s);
    const x::InvertedResidualParams ip = b.params();
    const int64_t npix = b.oh * b.oh, mr = x::inverted_residual_cl_mr(npix, Isa::kLanes);
    auto xs = random_buffer(b.cin * b.h * b.h), w1 = random_buffer(b.ch * b.cin), b1 = random_buffer(b.ch),
         wd = random_buffer(b.ch * 9), bd = random_buffer(b.ch), w2 = random_buffer(b.cout * b.ch),
         b2 = random_buffer(b.cout), z = random_buffer(b.cout * npix);
    const x::IrClPacking pk = x::inverted_residual_cl_packing(b.cin, b.ch, b.cout, kNr);
    std::vector<Buffer> packed;
    for (int i = 0; i < kCopies; ++i) {
        packed.emplace_back(pk.floats);
        x::pack_inverted_residual_cl_weights(w1.data(), wd.data(), bd.data(), w2.data(), b.cin, b.ch, b.cout, npix,
                                             kNr, Isa::kLanes, packed.back().data());
    }
    Buffer y(b.cout * npix), ws(x::inverted_residual_cl_workspace_floats(ip, mr, kNr));
    int copy = 0;
    for (auto _ : s) {
        const float* w = packed[size_t(copy)].data();
        const float* zp = b.residual ? z.data() : nullptr;
        if (mr == Isa::kMr) call_fused<Isa::kMr>(xs.data(), w, pk, b1.data(), b2.data(), zp, y.data(), ip, ws.data());
        else call_fused<kAltMr>(xs.data(), w, pk, b1.data(), b2.data(), zp, y.data(), ip, ws.data());
        copy = (copy + 1) % kCopies;
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    b.count(s);
}

// MobileNetV2's blocks that the kernel takes (224 input).
void blocks(benchmark::internal::Benchmark* b) {
    b->Args({64, 384, 64, 14, 1, 1});    // features.8-10
    b->Args({64, 384, 96, 14, 1, 0});    // features.11
    b->Args({96, 576, 96, 14, 1, 1});    // features.12-13
    b->Args({96, 576, 160, 14, 2, 0});   // features.14
    b->Args({160, 960, 160, 7, 1, 1});   // features.15-16
    b->Args({160, 960, 320, 7, 1, 0});   // features.17
}

}  // namespace

BENCHMARK(unfused)->Apply(blocks);
BENCHMARK(fused)->Apply(blocks);
BENCHMARK_MAIN();
