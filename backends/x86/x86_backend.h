// The x86 backend (targets x86-avx2, x86-avx512): which layers its kernels (backends/x86/kernels) run, with
// weights re-laid out at compile time for them. Every other layer keeps the portable emitter.
#pragma once

#include <vector>

#include "backends/common/backend.h"

namespace kiln {

const std::vector<OpOverride>& x86_overrides();

}  // namespace kiln
