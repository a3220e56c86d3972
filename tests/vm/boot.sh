#!/bin/sh
# boot.sh VMLINUZ INITRD CMDLINE CONSOLE RESULT - boot one guest under qemu
# and wait for it to power off (or for $QUARK_VM_TIMEOUT seconds, default
# 120; a guest takes 4 to 25 s).  The kernel's console goes to the file CONSOLE, the guest's framed
# results (tests/vm/init: the second serial port) to RESULT.  CMDLINE: the
# extra kernel command line words.
#
# Always software emulation, one host thread for both vCPUs
# (-accel tcg,thread=single): /dev/kvm on these machines is a PVM
# hypervisor that fails to run the guest, and multi-threaded TCG has a ~3 %
# boot flake (an int3 oops while the kernel patches its text; see
# ../shared/notes/qemu.md).  2 vCPUs: per-CPU rings and IPIs are part of
# what is tested.
set -u
vmlinuz=$1 initrd=$2 cmdline=$3 console=$4 result=$5
: >"$console"
: >"$result"
exec timeout -k 5 "${QUARK_VM_TIMEOUT:-120}" qemu-system-x86_64 \
    -accel tcg,thread=single -cpu max -smp 2 -m 1024 \
    -display none -monitor none -nodefaults -no-reboot \
    -serial "file:$console" -serial "file:$result" \
    -kernel "$vmlinuz" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 oops=panic $cmdline"
