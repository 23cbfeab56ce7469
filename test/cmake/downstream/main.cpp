// Runs the Kiln-generated model on a test vector and compares with the expected outputs.
//   downstream input_0.pb ... input_n.pb output_0.pb ... output_m.pb
// The .pb files are ONNX TensorProtos of float tensors (raw_data or float_data), as `kiln run --out` and the
// ONNX test data sets hold them. Exit status 0 when every output is within tolerance.
#include MODEL_HEADER

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

bool read_file(const char* path, std::vector<unsigned char>& bytes) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    unsigned char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
    std::fclose(f);
    return true;
}

bool varint(const std::vector<unsigned char>& b, std::size_t& at, std::uint64_t& v) {
    v = 0;
    for (int shift = 0; at < b.size() && shift < 64; shift += 7) {
        const unsigned char c = b[at++];
        v |= std::uint64_t(c & 0x7f) << shift;
        if (!(c & 0x80)) return true;
    }
    return false;
}

// The float values of a TensorProto: field 4 (float_data, packed) or 9 (raw_data, little-endian).
bool read_floats(const char* path, std::vector<float>& out) {
    std::vector<unsigned char> b;
    if (!read_file(path, b)) return false;
    std::size_t at = 0;
    while (at < b.size()) {
        std::uint64_t key, len;
        if (!varint(b, at, key)) return false;
        const unsigned field = unsigned(key >> 3), wire = unsigned(key & 7);
        if (wire == 0) {
            if (!varint(b, at, len)) return false;
        } else if (wire == 5) {
            at += 4;
        } else if (wire == 1) {
            at += 8;
        } else if (wire == 2) {
            if (!varint(b, at, len) || len > b.size() - at) return false;
            if (field == 4 || field == 9) {
                out.resize(len / 4);
                std::memcpy(out.data(), &b[at], len / 4 * 4);
            }
            at += len;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const int nin = MODEL_NS::kNumInputs, nout = MODEL_NS::kNumOutputs;
    if (argc != 1 + nin + nout) {
        std::fprintf(stderr, "downstream: expected %d input and %d output files\n", nin, nout);
        return 2;
    }
    std::vector<std::vector<float>> in(nin), expected(nout), out(nout);
    std::vector<const void*> in_ptrs;
    std::vector<void*> out_ptrs;
    for (int i = 0; i < nin; ++i) {
        if (!read_floats(argv[1 + i], in[i]) || in[i].size() * 4 != MODEL_NS::kInputBytes[i]) {
            std::fprintf(stderr, "downstream: %s: not a float tensor of %zu bytes\n", argv[1 + i],
                         static_cast<std::size_t>(MODEL_NS::kInputBytes[i]));
            return 2;
        }
        in_ptrs.push_back(in[i].data());
    }
    for (int i = 0; i < nout; ++i) {
        if (!read_floats(argv[1 + nin + i], expected[i]) || expected[i].size() * 4 != MODEL_NS::kOutputBytes[i]) {
            std::fprintf(stderr, "downstream: %s: not a float tensor of %zu bytes\n", argv[1 + nin + i],
                         static_cast<std::size_t>(MODEL_NS::kOutputBytes[i]));
            return 2;
        }
        out[i].assign(expected[i].size(), NAN);
        out_ptrs.push_back(out[i].data());
    }
#ifdef MODEL_ARENA_EXTERNAL
    alignas(MODEL_NS::kArenaAlignment) static std::uint8_t arena[MODEL_NS::kArenaBytes];
    const int rc = MODEL_NS::run_buffers(arena, in_ptrs.data(), out_ptrs.data());
#else
    const int rc = MODEL_NS::run_buffers(in_ptrs.data(), out_ptrs.data());
#endif
    if (rc != 0) {
        std::fprintf(stderr, "downstream: run() returned %d\n", rc);
        return 1;
    }
    int bad = 0;
    for (int i = 0; i < nout; ++i)
        for (std::size_t k = 0; k < out[i].size(); ++k) {
            const float got = out[i][k], want = expected[i][k];
            if (!(std::fabs(got - want) <= 1e-5f + 1e-4f * std::fabs(want))) {
                if (bad++ < 5) std::fprintf(stderr, "downstream: output %d [%zu]: %g, expected %g\n", i, k, got, want);
            }
        }
    std::printf("downstream: %s, %d output(s), %d mismatch(es)\n", bad ? "FAIL" : "ok", nout, bad);
    return bad ? 1 : 0;
}
