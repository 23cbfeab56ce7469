/* An LD_PRELOAD library that hides AVX-512 (and AVX-VNNI, AMX) from the CPUID instruction for one process,
 * so that a program choosing its kernels from CPUID at run time (ONNX Runtime's MLAS) takes the code path it
 * takes on an AVX2 + FMA CPU. test/bench/speed_bench.py runs ONNX Runtime under it as the same-ISA peer of
 * Kiln's x86-avx2 code.
 *
 * How: Linux CPUID faulting (arch_prctl(ARCH_SET_CPUID, 0); the CPU flag `cpuid_fault`) makes every CPUID of
 * the process raise SIGSEGV; the handler runs the real CPUID with faulting briefly off, clears the feature bits
 * below and steps over the instruction. The setting is per thread and inherited by threads created later.
 * The program's own SIGSEGV handlers (node resets every handler at start-up, V8 installs one for WebAssembly)
 * are kept behind ours: sigaction() for SIGSEGV is interposed and records them, and a fault that is not a
 * CPUID goes to the recorded handler, or to the default action.
 *
 * XGETBV is not trapped (it cannot be): programs that check only XCR0 for AVX-512 still see it. MLAS checks
 * the CPUID bits as well.
 *
 * When CPUID faulting is unavailable the process exits 77 at load (speed_bench.py reports the peer as absent).
 *
 *   cc -O2 -shared -fPIC cpuid_mask.c -o cpuid_mask.so -ldl
 *   LD_PRELOAD=./cpuid_mask.so node ort_bench.js ...
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

typedef int (*sigaction_fn)(int, const struct sigaction*, struct sigaction*);

static sigaction_fn real_sigaction;
static struct sigaction program_action; /* the SIGSEGV action the program believes it has */
static int installed;

/* CPUID.(EAX=7, ECX=0): EBX AVX512F 16, DQ 17, IFMA 21, PF 26, ER 27, CD 28, BW 30, VL 31; ECX VBMI 1, VBMI2 6,
 * VNNI 11, BITALG 12, VPOPCNTDQ 14; EDX 4VNNIW 2, 4FMAPS 3, VP2INTERSECT 8, AMX-BF16 22, AVX512-FP16 23,
 * AMX-TILE 24, AMX-INT8 25. CPUID.(EAX=7, ECX=1): EAX AVX-VNNI 4, AVX512-BF16 5. */
static const uint32_t kLeaf7Ebx = (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) |
                                  (1u << 30) | (1u << 31);
static const uint32_t kLeaf7Ecx = (1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14);
static const uint32_t kLeaf7Edx = (1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) |
                                  (1u << 25);
static const uint32_t kLeaf7Sub1Eax = (1u << 4) | (1u << 5);

static int cpuid_faulting(int fault) { return (int)syscall(SYS_arch_prctl, ARCH_SET_CPUID, fault ? 0 : 1); }

static void on_segv(int sig, siginfo_t* info, void* context) {
    ucontext_t* uc = (ucontext_t*)context;
    greg_t* r = uc->uc_mcontext.gregs;
    const unsigned char* ip = (const unsigned char*)r[REG_RIP];
    if (info->si_code == SI_KERNEL && ip[0] == 0x0f && ip[1] == 0xa2) {
        uint32_t a = (uint32_t)r[REG_RAX], c = (uint32_t)r[REG_RCX], b, d;
        const uint32_t leaf = a, sub = c;
        cpuid_faulting(0);
        __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
        cpuid_faulting(1);
        if (leaf == 7 && sub == 0) {
            b &= ~kLeaf7Ebx;
            c &= ~kLeaf7Ecx;
            d &= ~kLeaf7Edx;
        } else if (leaf == 7 && sub == 1) {
            a &= ~kLeaf7Sub1Eax;
        }
        r[REG_RAX] = a;
        r[REG_RBX] = b;
        r[REG_RCX] = c;
        r[REG_RDX] = d;
        r[REG_RIP] += 2;
        return;
    }
    if ((program_action.sa_flags & SA_SIGINFO) && program_action.sa_sigaction) {
        program_action.sa_sigaction(sig, info, context);
        return;
    }
    if (program_action.sa_handler != SIG_DFL && program_action.sa_handler != SIG_IGN) {
        program_action.sa_handler(sig);
        return;
    }
    /* Default action: returning re-runs the faulting instruction, which now takes it. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real_sigaction(SIGSEGV, &dfl, NULL);
}

int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
    if (!real_sigaction) real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    if (sig == SIGSEGV && installed) {
        if (old) *old = program_action;
        if (act) program_action = *act;
        return 0;
    }
    return real_sigaction(sig, act, old);
}

__attribute__((constructor)) static void cpuid_mask_init(void) {
    static const char kNoFault[] = "cpuid_mask: CPUID faulting is unavailable (no cpuid_fault CPU flag?)\n";
    real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    if (!real_sigaction || real_sigaction(SIGSEGV, &sa, &program_action) != 0 || cpuid_faulting(1) != 0) {
        if (write(2, kNoFault, sizeof kNoFault - 1) < 0) _exit(77);
        _exit(77);
    }
    installed = 1;
}
