// Startup for QEMU's mps3-an547 (Cortex-M55): the shared Cortex-M startup with this board's interrupt count.
#define KILN_BOARD_NAME "mps3-an547"
#define KILN_BOARD_IRQS 96
#include "../common/cortexm_startup.inc"
