// Cortex-M firmware example: runs the Kiln-compiled DS-CNN once on the test vectors compiled into the image,
// compares each output with the reference evaluator's (|got - expected| <= atol + rtol * |expected|), prints
// the max abs error per output and PASS or FAIL, and returns 0 or 1, which the board's startup hands to QEMU
// as the exit status (semihosting). printf goes to the host's stdout through semihosting (newlib's rdimon).
#include "ds_cnn.h"
#include "test_vectors.h"

#include <cmath>
#include <cstdio>

#ifndef KWS_BOARD_LABEL
#define KWS_BOARD_LABEL "unknown board"
#endif

namespace {

constexpr float kRtol = 1e-3f;
constexpr float kAtol = 1e-4f;

static_assert(ds_cnn::kNumInputs == test_vectors::kNumInputs, "one test vector per model input");
static_assert(ds_cnn::kNumOutputs == test_vectors::kNumOutputs, "one expected tensor per model output");

// All outputs in one buffer; run_buffers() gets a pointer into it per output.
alignas(16) float g_outputs[test_vectors::kTotalOutputElements];

struct Comparison {
    float max_abs_error;
    std::size_t mismatches;  // elements outside the tolerance (NaN counts as one)
    std::size_t first_mismatch;
};

Comparison compare(const float* got, const float* expected, std::size_t n) {
    Comparison c{0.0f, 0, 0};
    for (std::size_t i = 0; i < n; ++i) {
        const float err = std::fabs(got[i] - expected[i]);
        const bool ok = err <= kAtol + kRtol * std::fabs(expected[i]);  // false for NaN
        if (!ok && c.mismatches++ == 0) c.first_mismatch = i;
        if (err > c.max_abs_error || err != err) c.max_abs_error = err;
    }
    return c;
}

}  // namespace

int main() {
    std::printf("kiln firmware: ds_cnn on %s, arena %u bytes, weights %u bytes\n", KWS_BOARD_LABEL,
                static_cast<unsigned>(ds_cnn::kArenaBytes), static_cast<unsigned>(ds_cnn::kWeightBytes));

    const void* inputs[test_vectors::kNumInputs];
    void* outputs[test_vectors::kNumOutputs];
    for (int i = 0; i < test_vectors::kNumInputs; ++i) {
        if (test_vectors::kInputElements[i] * sizeof(float) != ds_cnn::kInputBytes[i]) {
            std::printf("input %d: the test vector has %u elements, the model takes %u bytes\nFAIL\n", i,
                        static_cast<unsigned>(test_vectors::kInputElements[i]),
                        static_cast<unsigned>(ds_cnn::kInputBytes[i]));
            return 1;
        }
        inputs[i] = test_vectors::kInputs[i];
    }
    std::size_t offset = 0;
    for (int i = 0; i < test_vectors::kNumOutputs; ++i) {
        if (test_vectors::kOutputElements[i] * sizeof(float) != ds_cnn::kOutputBytes[i]) {
            std::printf("output %d: %u expected elements, the model writes %u bytes\nFAIL\n", i,
                        static_cast<unsigned>(test_vectors::kOutputElements[i]),
                        static_cast<unsigned>(ds_cnn::kOutputBytes[i]));
            return 1;
        }
        outputs[i] = g_outputs + offset;
        offset += test_vectors::kOutputElements[i];
    }
    // NaN everywhere first, so an output the model forgets to write cannot pass by luck.
    for (float& v : g_outputs) v = std::nanf("");

    const int rc = ds_cnn::run_buffers(inputs, outputs);
    if (rc != 0) {
        std::printf("ds_cnn::run_buffers returned %d\nFAIL\n", rc);
        return 1;
    }

    bool pass = true;
    offset = 0;
    for (int i = 0; i < test_vectors::kNumOutputs; ++i) {
        const std::size_t n = test_vectors::kOutputElements[i];
        const Comparison c = compare(g_outputs + offset, test_vectors::kExpected[i], n);
        std::printf("output %d '%s': %u values, max abs error %.3g (rtol %.0e, atol %.0e): %s\n", i,
                    test_vectors::kOutputNames[i], static_cast<unsigned>(n), static_cast<double>(c.max_abs_error),
                    static_cast<double>(kRtol), static_cast<double>(kAtol), c.mismatches == 0 ? "ok" : "MISMATCH");
        if (c.mismatches != 0) {
            std::printf("  %u value(s) outside the tolerance; first at [%u]: got %.9g, expected %.9g\n",
                        static_cast<unsigned>(c.mismatches), static_cast<unsigned>(c.first_mismatch),
                        static_cast<double>(g_outputs[offset + c.first_mismatch]),
                        static_cast<double>(test_vectors::kExpected[i][c.first_mismatch]));
            pass = false;
        }
        offset += n;
    }
    std::printf("%s\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
