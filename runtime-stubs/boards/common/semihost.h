// Arm semihosting calls used by the board startup and the firmware harness (M-profile: BKPT 0xAB).
// QEMU answers them with -semihosting-config enable=on,target=native; newlib's rdimon uses the same
// mechanism for printf/fopen. Header-only so a board needs no extra source file.
#pragma once

#include <stdint.h>

namespace kiln_board {

enum : uint32_t {
    kSysWrite0 = 0x04,           // write a NUL-terminated string to the debug console
    kSysGetCmdline = 0x15,       // the command line (QEMU: -kernel file name + -append)
    kSysExit = 0x18,             // angel_SWIreason_ReportException
    kSysExitExtended = 0x20,     // the same with a status word (QEMU >= 4.0)
    kAdpStoppedApplicationExit = 0x20026,
    kAdpStoppedRunTimeErrorUnknown = 0x20023,
};

inline uint32_t semihost_call(uint32_t op, const void* arg) {
    register uint32_t r0 __asm__("r0") = op;
    register const void* r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

inline void semihost_write0(const char* s) { semihost_call(kSysWrite0, s); }

// Ends the emulation with `status` as QEMU's exit status. Never returns.
[[noreturn]] inline void semihost_exit(int status) {
    uint32_t block[2] = {kAdpStoppedApplicationExit, static_cast<uint32_t>(status)};
    semihost_call(kSysExitExtended, block);
    // A debugger without SYS_EXIT_EXTENDED: the plain exit loses the status, so report failure as an error stop.
    semihost_call(kSysExit, reinterpret_cast<const void*>(static_cast<uint32_t>(status == 0 ? kAdpStoppedApplicationExit
                                                                                   : kAdpStoppedRunTimeErrorUnknown)));
    for (;;) __asm__ volatile("wfi");
}

}  // namespace kiln_board
