// The driver's exit codes (all within 1..123 so shells and CTest read them plainly).
#pragma once

namespace kiln {

enum ExitCode : int {
    kExitOk = 0,
    kExitMismatch = 1,     // check/run: outputs differ from the expected ones
    kExitUsage = 2,        // bad flags or arguments
    kExitBadModel = 3,     // the model cannot be read or compiled (unsupported op, bad shapes, ...)
    kExitBuildFailed = 4,  // generated code did not build or run on the target
    kExitIo = 5,           // output could not be written
};

}  // namespace kiln
