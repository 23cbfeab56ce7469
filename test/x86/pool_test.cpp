// backends/x86/kernels/pool.h against the portable pooling kernels: MaxPool and AveragePool bit for bit
// (same tap order) over 1-D/2-D/3-D windows with every kernel/stride/padding/dilation/ceil_mode mix below,
// NaN and signed zeros in MaxPool, GlobalAveragePool within rounding. Built once per ISA.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "backends/portable/kernels/pool.h"
#include "backends/x86/kernels/pool.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::random_floats;
using kiln::test_x86::same_bits;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

// specials: 0 none; 1 NaN, -0 and +0 (MaxPool's NaN handling: the tap-order path); 2 -0, +0 and -inf;
// 3 -0, +0 and +inf (no NaN: the separable path, with its ties between zeros and infinities).
std::vector<float> random_floats(int64_t n, std::mt19937& rng, int specials) {
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = d(rng);
    const float other = specials == 1 ? NAN : specials == 2 ? -INFINITY : INFINITY;
    // Dense enough that windows hold several (ties between -0 and +0 next to each other).
    std::uniform_int_distribution<int> pick(0, 11);
    if (specials)
        for (float& f : v) {
            const int r = pick(rng);
            if (r < 3) f = r == 0 ? other : r == 1 ? -0.0f : 0.0f;
            else if (r < 6) f = -f * 0.0f;  // more zeros of both signs
        }
    return v;
}

// Output size as the compiler computes it (compiler/ops/sliding_window.cpp), -1 if the window does not fit.
int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil_mode) {
    const int64_t room = in + pb + pe - ((k - 1) * d + 1);
    if (room < 0) return -1;
    int64_t out = (ceil_mode ? (room + s - 1) / s : room / s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb) --out;
    return out;
}

struct PoolCase {
    int64_t planes, in[3], kernel[3], stride[3], dil[3], pb[3], pe[3];
    bool ceil_mode;
};

// Runs max and both averages; counts mismatches.
int64_t run_pool_case(const PoolCase& t, std::mt19937& rng, int specials) {
    k::PoolParams p{};
    p.planes = t.planes;
    for (int d = 0; d < 3; ++d) {
        const int64_t o = out_size(t.in[d], t.kernel[d], t.stride[d], t.dil[d], t.pb[d], t.pe[d], t.ceil_mode);
        if (o < 1) return -1;
        p.win.in[d] = t.in[d];
        p.win.out[d] = o;
        p.win.kernel[d] = t.kernel[d];
        p.win.stride[d] = t.stride[d];
        p.win.dilation[d] = t.dil[d];
        p.win.pad[d] = t.pb[d];
        p.pad_end[d] = t.pe[d];
    }
    const int64_t in_n = t.planes * k::window_in_size(p.win);
    const int64_t out_n = t.planes * p.win.out[0] * p.win.out[1] * p.win.out[2];
    const auto xs = random_floats(in_n, rng, specials);
    const size_t guard = 32;
    std::vector<float> want(static_cast<size_t>(out_n)), got(static_cast<size_t>(out_n) + 2 * guard);
    int64_t bad = 0;
    auto compare = [&]() {
        for (int64_t i = 0; i < out_n; ++i)
            if (!same_bits(got[guard + size_t(i)], want[size_t(i)])) ++bad;
        for (size_t i = 0; i < guard; ++i)
            if (got[i] != -5.0f || got[guard + size_t(out_n) + i] != -5.0f) ++bad;
    };
    std::fill(got.begin(), got.end(), -5.0f);
    k::max_pool(xs.data(), want.data(), static_cast<int64_t*>(nullptr), p);
    x::max_pool<Isa>(xs.data(), got.data() + guard, p);
    compare();
    for (int include = 0; include < 2; ++include) {
        p.count_include_pad = include;
        std::fill(got.begin(), got.end(), -5.0f);
        k::avg_pool(xs.data(), want.data(), p);
        x::avg_pool<Isa>(xs.data(), got.data() + guard, p);
        compare();
    }
    return bad;
}

}  // namespace

TEST_CASE("x86 max_pool and avg_pool match the portable kernels bit for bit (2-D)", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(5);
    const int64_t planes[] = {1, 3, 7, 17};
    const int64_t sizes[][2] = {{1, 1}, {2, 2}, {7, 7}, {13, 11}, {14, 14}, {28, 28}, {5, 40}, {27, 27}, {55, 55}, {8, 112}};
    const int64_t kernels_[][2] = {{1, 1}, {2, 2}, {3, 3}, {3, 2}, {5, 5}, {1, 7}};
    const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 1, 0}, {2, 2, 2, 2}, {1, 0, 0, 2}};  // hb wb he we
    int checked = 0, index = 0;
    for (int64_t pl : planes)
        for (const auto& hw : sizes)
            for (const auto& kk : kernels_)
                for (int64_t s = 1; s <= 3; ++s)
                    for (const auto& pad : pads) {
                        const int i = index++;
                        const int64_t dil = i % 5 == 4 ? 2 : 1;
                        const bool ceil_mode = i % 3 == 1;
                        if (pad[0] >= kk[0] + 1 || pad[1] >= kk[1] + 1) continue;  // ONNX: pads below the kernel, +1 to test empty windows
                        const PoolCase t{pl, {1, hw[0], hw[1]}, {1, kk[0], kk[1]}, {1, s, s}, {1, dil, dil},
                                         {0, pad[0], pad[1]}, {0, pad[2], pad[3]}, ceil_mode};
                        INFO("planes " << pl << " in " << hw[0] << "x" << hw[1] << " kernel " << kk[0] << "x" << kk[1]
                                       << " stride " << s << " dil " << dil << " pads " << pad[0] << pad[1] << pad[2]
                                       << pad[3] << " ceil " << ceil_mode);
                        const int64_t bad = run_pool_case(t, rng, i % 4);
                        if (bad < 0) continue;
                        CHECK(bad == 0);
                        ++checked;
                    }
    CHECK(checked > 1000);
}

TEST_CASE("x86 max_pool and avg_pool: 1-D, 3-D and the network shapes", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(6);
    const PoolCase cases[] = {
        {3, {1, 1, 37}, {1, 1, 3}, {1, 1, 2}, {1, 1, 1}, {0, 0, 1}, {0, 0, 1}, false},    // 1-D
        {2, {1, 1, 20}, {1, 1, 4}, {1, 1, 1}, {1, 1, 3}, {0, 0, 2}, {0, 0, 0}, true},     // 1-D dilated
        {2, {5, 6, 19}, {2, 3, 3}, {2, 1, 2}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}, true},     // 3-D
        {1, {4, 9, 9}, {3, 2, 2}, {1, 2, 2}, {2, 1, 1}, {1, 0, 0}, {1, 1, 1}, false},     // 3-D dilated
        {64, {1, 112, 112}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false},  // ResNet-18
        {64, {1, 111, 111}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, true},   // SqueezeNet
        {128, {1, 55, 55}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, true},
        {256, {1, 27, 27}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, true},
        {9, {1, 17, 16}, {1, 3, 3}, {1, 4, 3}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false},   // stride 3: portable path
        {5, {1, 9, 9}, {1, 9, 9}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, false},    // global as a window
        {129, {1, 28, 28}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 0, 1}, false},  // asymmetric pads
        {129, {1, 14, 13}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 1, 0}, {0, 1, 2}, true},   // stride 1, 129 planes
    };
    for (const PoolCase& t : cases) {
        INFO("planes " << t.planes << " in " << t.in[0] << "x" << t.in[1] << "x" << t.in[2]);
        for (int specials = 0; specials < 4; ++specials) CHECK(run_pool_case(t, rng, specials) == 0);
    }
}

TEST_CASE("x86 global_avg_pool matches the portable average over the plane", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(7);
    const int64_t shapes[][2] = {{1, 1}, {3, 2}, {7, 7}, {17, 15}, {129, 16}, {512, 49}, {1280, 49}, {1000, 169},
                                 {2, 33}, {3, 64}, {2, 1000}};
    for (const auto& s : shapes) {
        const int64_t planes = s[0], size = s[1];
        INFO("planes " << planes << " size " << size);
        const auto xs = random_floats(planes * size, rng, 0);
        k::PoolParams p{};
        p.planes = planes;
        p.win = k::Window{{1, 1, size}, {1, 1, 1}, {1, 1, size}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}};
        std::vector<float> want(static_cast<size_t>(planes)), got(static_cast<size_t>(planes) + 1, -5.0f);
        k::avg_pool(xs.data(), want.data(), p);
        x::global_avg_pool<Isa>(xs.data(), got.data(), planes, size);
        int64_t bad = 0;
        for (int64_t i = 0; i < planes; ++i)
            if (!(std::fabs(got[size_t(i)] - want[size_t(i)]) <= 1e-6f * std::sqrt(float(size)))) ++bad;
        CHECK(bad == 0);
        CHECK(got[size_t(planes)] == -5.0f);
    }
}

// The separable MaxPool's last vector of a row reads past the row's end (the next row's floats) unless that would
// pass the end of x: with x ending right before a page the process may not read, every shape runs (a read past
// the end faults) and still matches the portable kernel.
TEST_CASE("x86 max_pool reads nothing past the end of its input", "[x86]") {
    if (!cpu_has_isa()) return;
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = 64 * page;  // the largest input below: 3 x 112 x 112 floats = 36.75 pages of 4 KiB
    void* const base = mmap(nullptr, bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(base != MAP_FAILED);
    REQUIRE(mprotect(static_cast<char*>(base) + bytes, page, PROT_NONE) == 0);
    float* const end = reinterpret_cast<float*>(static_cast<char*>(base) + bytes);
    std::mt19937 rng(7);
    // {planes, H, W, kernel, stride, pad, ceil_mode}: the network shapes and short rows (one vector, stride 1 and 2).
    const int64_t shapes[][7] = {{3, 112, 112, 3, 2, 1, 0}, {2, 111, 111, 3, 2, 0, 1}, {3, 55, 55, 3, 2, 0, 1},
                                 {5, 27, 27, 3, 2, 0, 1},   {4, 13, 13, 3, 2, 0, 1},   {3, 9, 7, 3, 1, 0, 0},
                                 {2, 5, 17, 2, 2, 0, 0},    {3, 14, 14, 3, 1, 1, 0},   {1, 3, 3, 3, 1, 0, 0}};
    for (const auto& sh : shapes) {
        const int64_t planes = sh[0], h = sh[1], w = sh[2], kk = sh[3], s = sh[4], pad = sh[5];
        const bool ceil_mode = sh[6] != 0;
        const int64_t oh = out_size(h, kk, s, 1, pad, pad, ceil_mode), ow = out_size(w, kk, s, 1, pad, pad, ceil_mode);
        INFO("planes " << planes << " in " << h << "x" << w << " kernel " << kk << " stride " << s << " pad " << pad);
        k::PoolParams p{};
        p.planes = planes;
        p.win = k::Window{{1, h, w}, {1, oh, ow}, {1, kk, kk}, {1, s, s}, {1, 1, 1}, {0, pad, pad}};
        p.pad_end[1] = p.pad_end[2] = pad;
        const int64_t n = planes * h * w;
        REQUIRE(size_t(n) * sizeof(float) <= bytes);
        const std::vector<float> xs = random_floats(n, rng, 3);
        float* const x = end - n;
        std::memcpy(x, xs.data(), size_t(n) * sizeof(float));
        std::vector<float> want(size_t(planes * oh * ow)), got(want.size());
        k::max_pool(x, want.data(), static_cast<int64_t*>(nullptr), p);
        x::max_pool<Isa>(x, got.data(), p);
        int64_t bad = 0;
        for (size_t i = 0; i < want.size(); ++i)
            if (!same_bits(got[i], want[i])) ++bad;
        CHECK(bad == 0);
    }
    munmap(base, bytes + page);
}
