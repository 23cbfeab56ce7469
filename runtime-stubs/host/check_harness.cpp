// Host harness for `kiln check`: reads each input as raw bytes from a file, runs the generated model
// once, writes each output as raw bytes. Built with -DKILN_MODEL_HEADER="net.h" -DKILN_NS=net.
// Usage: harness IN_0.bin ... IN_n.bin OUT_0.bin ... OUT_m.bin
// With -DKILN_ARENA_EXTERNAL (code compiled with --arena external) it passes run() an aligned arena.
#include KILN_MODEL_HEADER
#include "harness_io.h"

#include <cstdio>
#include <cstdlib>

namespace {

bool out_of_memory(const char* what, std::size_t bytes) {
    std::fprintf(stderr, "harness: out of memory for %s (%zu bytes)\n", what, bytes);
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    const int nin = KILN_NS::kNumInputs, nout = KILN_NS::kNumOutputs;
    if (argc != 1 + nin + nout) {
        std::fprintf(stderr, "harness: expected %d input and %d output files\n", nin, nout);
        return 2;
    }
    Buffer in[nin > 0 ? nin : 1], out[nout > 0 ? nout : 1];
    const void* in_ptrs[nin > 0 ? nin : 1] = {};
    void* out_ptrs[nout > 0 ? nout : 1] = {};
    for (int i = 0; i < nin; ++i) {
        if (!in[i].allocate(KILN_NS::kInputBytes[i], 0) && !out_of_memory(argv[1 + i], KILN_NS::kInputBytes[i])) return 2;
        if (!read_file(argv[1 + i], in[i])) {
            std::fprintf(stderr, "harness: %s: expected exactly %zu bytes\n", argv[1 + i], in[i].n);
            return 2;
        }
        in_ptrs[i] = in[i].p;
    }
    for (int i = 0; i < nout; ++i) {
        // Filled with a pattern so an output the model forgets to write cannot pass by luck.
        if (!out[i].allocate(KILN_NS::kOutputBytes[i], 0xA5) && !out_of_memory(argv[1 + nin + i], KILN_NS::kOutputBytes[i]))
            return 2;
        out_ptrs[i] = out[i].p;
    }
#ifdef KILN_ARENA_EXTERNAL
    // Filled with a pattern too: the model must not depend on what the caller's arena held.
    Buffer arena_storage;
    if (!arena_storage.allocate(KILN_NS::kArenaBytes + KILN_NS::kArenaAlignment, 0x5A) &&
        !out_of_memory("the arena", KILN_NS::kArenaBytes + KILN_NS::kArenaAlignment))
        return 2;
    std::size_t misalign = reinterpret_cast<std::uintptr_t>(arena_storage.p) % KILN_NS::kArenaAlignment;
    uint8_t* arena = arena_storage.p + (misalign ? KILN_NS::kArenaAlignment - misalign : 0);
    int rc = KILN_NS::run_buffers(arena, in_ptrs, out_ptrs);
#else
    int rc = KILN_NS::run_buffers(in_ptrs, out_ptrs);
#endif
    if (rc != 0) {
        std::fprintf(stderr, "harness: run() returned %d\n", rc);
        return 3;
    }
    for (int i = 0; i < nout; ++i)
        if (!write_file(argv[1 + nin + i], out[i])) {
            std::fprintf(stderr, "harness: cannot write %s\n", argv[1 + nin + i]);
            return 2;
        }
    return 0;
}
