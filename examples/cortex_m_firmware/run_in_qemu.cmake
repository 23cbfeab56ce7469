# Runs firmware under QEMU and passes only when it exits with status 0 and printed a line "PASS":
#   cmake -DQEMU=qemu-system-arm -DBOARD=mps2-an386 -DELF=fw.elf [-DTIMEOUT=60] -P run_in_qemu.cmake
# The board's startup ends the emulation through semihosting with main()'s return value as QEMU's status.
if(NOT TIMEOUT)
  set(TIMEOUT 60)
endif()
execute_process(
  COMMAND ${QEMU} -M ${BOARD} -semihosting-config enable=on,target=native -nographic
          -kernel ${ELF}
  OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc TIMEOUT ${TIMEOUT})
message("${out}")
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${ELF} on ${BOARD}: ${rc} (timeout ${TIMEOUT} s)")
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "${ELF} on ${BOARD}: exit status ${rc}")
elseif(NOT out MATCHES "(^|\n)PASS\r?\n")
  message(FATAL_ERROR "${ELF} on ${BOARD}: exit status 0 but no PASS line")
endif()
