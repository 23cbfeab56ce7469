// Host harness for `kiln bench`: reads each input as raw bytes, runs the generated model WARMUP times
// untimed and RUNS times timed, writes the times to RESULTS and each output (of the last run) as raw bytes.
// Built with -DKILN_MODEL_HEADER="net.h" -DKILN_NS=net -DKILN_BENCH_LAYERS=<layers of the model>.
// Usage: harness RESULTS RUNS WARMUP IN_0.bin ... IN_n.bin OUT_0.bin ... OUT_m.bin
// RESULTS, one line per timed run: the run's nanoseconds, then with -DKILN_PROFILE (the generated run()
// calls kiln_profile_layer(L) before layer L and kiln_profile_layer(-1) after the last) each layer's.
#include KILN_MODEL_HEADER
#include "harness_io.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

using Clock = std::chrono::steady_clock;

long long nanoseconds(Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

#ifdef KILN_PROFILE
const int kLayers = KILN_BENCH_LAYERS > 0 ? KILN_BENCH_LAYERS : 1;
long long layer_ns[kLayers];
int current_layer = -1;
Clock::time_point layer_start;
#endif

}  // namespace

#ifdef KILN_PROFILE
extern "C" void kiln_profile_layer(int layer) {
    Clock::time_point now = Clock::now();
    if (current_layer >= 0 && current_layer < kLayers) layer_ns[current_layer] += nanoseconds(now - layer_start);
    current_layer = layer;
    layer_start = Clock::now();  // the hook's own time is charged to no layer
}
#endif

int main(int argc, char** argv) {
    const int nin = KILN_NS::kNumInputs, nout = KILN_NS::kNumOutputs;
    if (argc != 4 + nin + nout) {
        std::fprintf(stderr, "harness: expected RESULTS RUNS WARMUP, %d input and %d output files\n", nin, nout);
        return 2;
    }
    const long runs = std::strtol(argv[2], nullptr, 10), warmup = std::strtol(argv[3], nullptr, 10);
    if (runs < 1 || warmup < 0) {
        std::fprintf(stderr, "harness: RUNS must be >= 1 and WARMUP >= 0\n");
        return 2;
    }
    Buffer in[nin > 0 ? nin : 1], out[nout > 0 ? nout : 1];
    const void* in_ptrs[nin > 0 ? nin : 1] = {};
    void* out_ptrs[nout > 0 ? nout : 1] = {};
    for (int i = 0; i < nin; ++i) {
        if (!in[i].allocate(KILN_NS::kInputBytes[i], 0) || !read_file(argv[4 + i], in[i])) {
            std::fprintf(stderr, "harness: %s: expected exactly %zu bytes\n", argv[4 + i], KILN_NS::kInputBytes[i]);
            return 2;
        }
        in_ptrs[i] = in[i].p;
    }
    for (int i = 0; i < nout; ++i) {
        if (!out[i].allocate(KILN_NS::kOutputBytes[i], 0)) {
            std::fprintf(stderr, "harness: out of memory for output %d\n", i);
            return 2;
        }
        out_ptrs[i] = out[i].p;
    }
#ifdef KILN_ARENA_EXTERNAL
    Buffer arena_storage;
    if (!arena_storage.allocate(KILN_NS::kArenaBytes + KILN_NS::kArenaAlignment, 0)) {
        std::fprintf(stderr, "harness: out of memory for the arena\n");
        return 2;
    }
    std::size_t misalign = reinterpret_cast<std::uintptr_t>(arena_storage.p) % KILN_NS::kArenaAlignment;
    uint8_t* arena = arena_storage.p + (misalign ? KILN_NS::kArenaAlignment - misalign : 0);
#define KILN_BENCH_RUN() KILN_NS::run_buffers(arena, in_ptrs, out_ptrs)
#else
#define KILN_BENCH_RUN() KILN_NS::run_buffers(in_ptrs, out_ptrs)
#endif
    std::FILE* results = std::fopen(argv[1], "w");
    if (!results) {
        std::fprintf(stderr, "harness: cannot write %s\n", argv[1]);
        return 2;
    }
    for (long r = 0; r < warmup + runs; ++r) {
#ifdef KILN_PROFILE
        for (int l = 0; l < kLayers; ++l) layer_ns[l] = 0;
        current_layer = -1;
#endif
        Clock::time_point start = Clock::now();
        int rc = KILN_BENCH_RUN();
        long long total = nanoseconds(Clock::now() - start);
        if (rc != 0) {
            std::fprintf(stderr, "harness: run() returned %d\n", rc);
            std::fclose(results);
            return 3;
        }
        if (r < warmup) continue;
        std::fprintf(results, "%lld", total);
#ifdef KILN_PROFILE
        for (int l = 0; l < kLayers; ++l) std::fprintf(results, " %lld", layer_ns[l]);
#endif
        std::fprintf(results, "\n");
    }
    if (std::fclose(results) != 0) {
        std::fprintf(stderr, "harness: cannot write %s\n", argv[1]);
        return 2;
    }
    for (int i = 0; i < nout; ++i)
        if (!write_file(argv[4 + nin + i], out[i])) {
            std::fprintf(stderr, "harness: cannot write %s\n", argv[4 + nin + i]);
            return 2;
        }
    return 0;
}
