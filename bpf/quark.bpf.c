/* quark.bpf.c - PLACEHOLDER until the eBPF issue lands. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "wire.h"

char LICENSE[] SEC("license") = "GPL";
