// The firmware harness: runs a Kiln model on test vectors compiled into the image, compares every output with
// the expected values, prints the worst error per output over semihosting and returns main's status
// (0 all outputs match, 1 a mismatch, 3 run() failed), which the board's startup hands to QEMU as its exit status.
//
// Build firmware_harness.cpp with
//   -DKILN_MODEL_HEADER="kws.h" -DKILN_NS=kws      the model (from kiln compile / kiln_add_model)
//   -DKILN_VECTORS_HEADER="kws_vectors.h"          the vectors (default "kiln_vectors.h"; make_vectors.py writes it)
//   [-DKILN_ARENA_EXTERNAL]                        code compiled with --arena external: the harness owns the arena
// The vectors header defines, in namespace kiln_vectors (sets in order, each with every run-time input and every
// output in model order):
//   constexpr int kNumSets;
//   extern const void* const kInputs[kNumSets][KILN_NS::kNumInputs];    raw input bytes, kInputBytes[i] each
//   extern const void* const kOutputs[kNumSets][KILN_NS::kNumOutputs];  raw expected bytes, kOutputBytes[o] each
//   constexpr char kOutputKind[KILN_NS::kNumOutputs];   'f' float32: |got - want| <= atol + rtol * |want|;
//                                                       'b' anything else: bytes must be equal
//   constexpr const char* kOutputNames[KILN_NS::kNumOutputs];
//   constexpr float kRtol, kAtol;
// Printed lines (one per set and output, then a verdict), e.g.
//   kiln firmware: kws on mps2-an386, 1 set(s), arena 12288 bytes, weights 22544 bytes
//   set 0 output 0 'logits': 12 values, max abs error 1.19e-07 OK
//   PASS: 1 outputs match (rtol 0.001, atol 1e-05)
#pragma once

namespace kiln_firmware {

enum Status : int { kPass = 0, kMismatch = 1, kRunFailed = 3 };

// Compares `count` float32 values; returns the number outside the tolerance and sets max_abs_error (NaN where
// exactly one side is NaN counts as a mismatch, NaN on both sides matches).
int compare_f32(const float* got, const float* want, unsigned long count, float rtol, float atol, float* max_abs_error);

}  // namespace kiln_firmware
