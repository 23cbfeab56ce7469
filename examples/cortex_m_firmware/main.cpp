// Cortex-M firmware example: the inference step of a keyword spotter. Runs the Kiln-compiled DS-CNN on the
// MFCC feature maps compiled into the image (ds_cnn_vectors.h), compares the 12 class scores with Kiln's
// reference evaluator's (|got - expected| <= atol + rtol * |expected|), prints the top-1 class and the max abs
// error per set, then PASS or FAIL, and returns 0 or 1: the board's startup hands that to QEMU as its exit
// status (semihosting; printf goes to the host's stdout the same way, through newlib's rdimon).
#include "ds_cnn.h"          // kiln_add_model(ds_cnn ...): ds_cnn::run(features, scores)
#include "ds_cnn_vectors.h"  // make_vectors.py: namespace kiln_vectors

#include <cmath>
#include <cstdio>

#ifndef KILN_BOARD_LABEL  // kiln_add_firmware defines it to the board's name
#define KILN_BOARD_LABEL "an unknown board"
#endif

namespace {

constexpr int kFrames = 49;     // 1 s of audio in 20 ms hops
constexpr int kFeatures = 10;   // MFCC coefficients per frame
constexpr int kClasses = 12;    // "yes", "no", ..., silence, unknown

static_assert(ds_cnn::kNumInputs == 1 && ds_cnn::kNumOutputs == 1, "one feature map in, one score vector out");
static_assert(ds_cnn::kInput0Elements == kFrames * kFeatures, "a 1x1x49x10 MFCC feature map");
static_assert(ds_cnn::kOutput0Elements == kClasses, "12 class scores");
static_assert(kiln_vectors::kOutputKind[0] == 'f', "float32 scores, compared with a tolerance");

alignas(16) float g_scores[kClasses];

int top1(const float* scores) {
    int best = 0;
    for (int k = 1; k < kClasses; ++k)
        if (scores[k] > scores[best]) best = k;
    return best;
}

// Checks one set's scores; prints a line and returns whether every score is within the tolerance.
bool check(int set, const float* expected) {
    float max_abs_error = 0.0f;
    int outside = 0;
    for (int k = 0; k < kClasses; ++k) {
        const float err = std::fabs(g_scores[k] - expected[k]);
        if (!(err <= kiln_vectors::kAtol + kiln_vectors::kRtol * std::fabs(expected[k]))) ++outside;  // NaN too
        if (err > max_abs_error || err != err) max_abs_error = err;
    }
    std::printf("set %d: top-1 class %d (reference %d), '%s' max abs error %.3g over %d scores: %s\n", set,
                top1(g_scores), top1(expected), kiln_vectors::kOutputNames[0], static_cast<double>(max_abs_error),
                kClasses, outside == 0 ? "ok" : "MISMATCH");
    if (outside != 0) std::printf("  %d score(s) outside rtol %g, atol %g\n", outside,
                                  static_cast<double>(kiln_vectors::kRtol), static_cast<double>(kiln_vectors::kAtol));
    return outside == 0;
}

}  // namespace

int main() {
    std::printf("kiln firmware: ds_cnn on %s, arena %u bytes, weights %u bytes\n", KILN_BOARD_LABEL,
                static_cast<unsigned>(ds_cnn::kArenaBytes), static_cast<unsigned>(ds_cnn::kWeightBytes));
    bool pass = true;
    for (int set = 0; set < kiln_vectors::kNumSets; ++set) {
        const float* features = static_cast<const float*>(kiln_vectors::kInputs[set][0]);
        const float* expected = static_cast<const float*>(kiln_vectors::kOutputs[set][0]);
        for (float& score : g_scores) score = std::nanf("");  // a score run() forgets to write cannot pass
        const int rc = ds_cnn::run(features, g_scores);
        if (rc != 0) {
            std::printf("set %d: ds_cnn::run returned %d\nFAIL\n", set, rc);
            return 1;
        }
        pass = check(set, expected) && pass;
    }
    std::printf("%s\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
