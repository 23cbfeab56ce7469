// Host harness for `kiln check`: reads each input as raw bytes from a file, runs the generated model
// once, writes each output as raw bytes. Built with -DKILN_MODEL_HEADER="net.h" -DKILN_NS=net.
// Usage: harness IN_0.bin ... IN_n.bin OUT_0.bin ... OUT_m.bin
// With -DKILN_ARENA_EXTERNAL (code compiled with --arena external) it passes run() an aligned arena.
#include KILN_MODEL_HEADER

#include <cstdio>
#include <vector>

namespace {

bool read_file(const char* path, std::vector<unsigned char>& buf) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    std::size_t got = buf.empty() ? 0 : std::fread(buf.data(), 1, buf.size(), f);
    bool at_end = std::fgetc(f) == EOF;
    std::fclose(f);
    return got == buf.size() && at_end;
}

bool write_file(const char* path, const std::vector<unsigned char>& buf) {
    std::FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    std::size_t put = buf.empty() ? 0 : std::fwrite(buf.data(), 1, buf.size(), f);
    return std::fclose(f) == 0 && put == buf.size();
}

}  // namespace

int main(int argc, char** argv) {
    const int nin = KILN_NS::kNumInputs, nout = KILN_NS::kNumOutputs;
    if (argc != 1 + nin + nout) {
        std::fprintf(stderr, "harness: expected %d input and %d output files\n", nin, nout);
        return 2;
    }
    std::vector<std::vector<unsigned char>> in(static_cast<std::size_t>(nin)), out(static_cast<std::size_t>(nout));
    std::vector<const void*> in_ptrs;
    std::vector<void*> out_ptrs;
    for (int i = 0; i < nin; ++i) {
        in[i].resize(KILN_NS::kInputBytes[i]);
        if (!read_file(argv[1 + i], in[i])) {
            std::fprintf(stderr, "harness: %s: expected exactly %zu bytes\n", argv[1 + i], in[i].size());
            return 2;
        }
        in_ptrs.push_back(in[i].data());
    }
    for (int i = 0; i < nout; ++i) {
        // Filled with a pattern so an output the model forgets to write cannot pass by luck.
        out[i].assign(KILN_NS::kOutputBytes[i], 0xA5);
        out_ptrs.push_back(out[i].data());
    }
#ifdef KILN_ARENA_EXTERNAL
    // Filled with a pattern too: the model must not depend on what the caller's arena held.
    std::vector<unsigned char> arena_storage(KILN_NS::kArenaBytes + KILN_NS::kArenaAlignment, 0x5A);
    std::size_t misalign = reinterpret_cast<std::uintptr_t>(arena_storage.data()) % KILN_NS::kArenaAlignment;
    uint8_t* arena = arena_storage.data() + (misalign ? KILN_NS::kArenaAlignment - misalign : 0);
    int rc = KILN_NS::run_buffers(arena, in_ptrs.data(), out_ptrs.data());
#else
    int rc = KILN_NS::run_buffers(in_ptrs.data(), out_ptrs.data());
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
