// Startup for QEMU's mps2-an386 (Cortex-M4): the shared Cortex-M startup with this board's interrupt count.
#define KILN_BOARD_NAME "mps2-an386"
#define KILN_BOARD_IRQS 32
#include "../common/cortexm_startup.inc"
