// The firmware harness (see firmware_harness.h): the model on vectors compiled into the image, under QEMU.
#include "firmware_harness.h"

#include KILN_MODEL_HEADER
#ifndef KILN_VECTORS_HEADER
#define KILN_VECTORS_HEADER "kiln_vectors.h"
#endif
#include KILN_VECTORS_HEADER

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef KILN_BOARD_LABEL
#define KILN_BOARD_LABEL "the target"
#endif
#define KILN_STR2(x) #x
#define KILN_STR(x) KILN_STR2(x)

namespace kiln_firmware {

int compare_f32(const float* got, const float* want, unsigned long count, float rtol, float atol, float* max_abs_error) {
    int bad = 0;
    float worst = 0.0f;
    for (unsigned long i = 0; i < count; ++i) {
        const float g = got[i], w = want[i];
        if (isnan(g) || isnan(w)) {
            if (!(isnan(g) && isnan(w))) ++bad;
            continue;
        }
        if (isinf(g) || isinf(w)) {
            if (g != w) ++bad;
            continue;
        }
        const float err = fabsf(g - w);
        if (err > worst) worst = err;
        if (err > atol + rtol * fabsf(w)) ++bad;
    }
    *max_abs_error = worst;
    return bad;
}

}  // namespace kiln_firmware

namespace {

constexpr std::size_t total_output_bytes() {
    std::size_t n = 0;
    for (int i = 0; i < KILN_NS::kNumOutputs; ++i) n += (KILN_NS::kOutputBytes[i] + 15) / 16 * 16;
    return n;
}

// Output buffers (16-byte aligned each), filled with a pattern before every run so an output the model forgets
// to write cannot pass by luck.
alignas(16) unsigned char g_outputs[total_output_bytes() > 0 ? total_output_bytes() : 1];
#ifdef KILN_ARENA_EXTERNAL
alignas(KILN_NS::kArenaAlignment) unsigned char g_arena[KILN_NS::kArenaBytes > 0 ? KILN_NS::kArenaBytes : 1];
#endif

}  // namespace

int main() {
    namespace v = kiln_vectors;
    printf("kiln firmware: %s on %s, %d set(s), arena %lu bytes, weights %lu bytes\n", KILN_STR(KILN_NS),
           KILN_BOARD_LABEL, v::kNumSets, static_cast<unsigned long>(KILN_NS::kArenaBytes),
           static_cast<unsigned long>(KILN_NS::kWeightBytes));
    void* outs[KILN_NS::kNumOutputs > 0 ? KILN_NS::kNumOutputs : 1];
    std::size_t at = 0;
    for (int o = 0; o < KILN_NS::kNumOutputs; ++o) {
        outs[o] = g_outputs + at;
        at += (KILN_NS::kOutputBytes[o] + 15) / 16 * 16;
    }
    int checked = 0, mismatched = 0;
    for (int s = 0; s < v::kNumSets; ++s) {
        for (int o = 0; o < KILN_NS::kNumOutputs; ++o) memset(outs[o], 0xA5, KILN_NS::kOutputBytes[o]);
#ifdef KILN_ARENA_EXTERNAL
        memset(g_arena, 0x5A, sizeof g_arena);
        const int rc = KILN_NS::run_buffers(g_arena, v::kInputs[s], outs);
#else
        const int rc = KILN_NS::run_buffers(v::kInputs[s], outs);
#endif
        if (rc != 0) {
            printf("set %d: run() returned %d\nFAIL\n", s, rc);
            return kiln_firmware::kRunFailed;
        }
        for (int o = 0; o < KILN_NS::kNumOutputs; ++o) {
            int bad = 0;
            float err = 0.0f;
            unsigned long n = static_cast<unsigned long>(KILN_NS::kOutputBytes[o]);
            if (v::kOutputKind[o] == 'f') {
                n /= 4;
                bad = kiln_firmware::compare_f32(static_cast<const float*>(outs[o]),
                                                 static_cast<const float*>(v::kOutputs[s][o]), n, v::kRtol, v::kAtol, &err);
            } else {
                const unsigned char* g = static_cast<const unsigned char*>(outs[o]);
                const unsigned char* w = static_cast<const unsigned char*>(v::kOutputs[s][o]);
                for (unsigned long i = 0; i < n; ++i) bad += g[i] != w[i];
            }
            ++checked;
            mismatched += bad ? 1 : 0;
            if (bad)
                printf("set %d output %d '%s': %lu %s, max abs error %.3g MISMATCH (%d)\n", s, o, v::kOutputNames[o], n,
                       v::kOutputKind[o] == 'f' ? "values" : "bytes", static_cast<double>(err), bad);
            else
                printf("set %d output %d '%s': %lu %s, max abs error %.3g OK\n", s, o, v::kOutputNames[o], n,
                       v::kOutputKind[o] == 'f' ? "values" : "bytes", static_cast<double>(err));
        }
    }
    if (mismatched) {
        printf("FAIL: %d of %d outputs differ (rtol %g, atol %g)\n", mismatched, checked, static_cast<double>(v::kRtol),
               static_cast<double>(v::kAtol));
        return kiln_firmware::kMismatch;
    }
    printf("PASS: %d outputs match (rtol %g, atol %g)\n", checked, static_cast<double>(v::kRtol),
           static_cast<double>(v::kAtol));
    return kiln_firmware::kPass;
}
