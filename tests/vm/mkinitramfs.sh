#!/bin/sh
# mkinitramfs.sh OUT QUARK HELPERS_DIR - the kernel-matrix guest's
# initramfs: tests/vm/init as /init, a static busybox (the only other
# program; one link per applet), the static QUARK and the static
# workload programs of HELPERS_DIR (tests/helpers/, built with
# LDFLAGS=-static).  Needs busybox-static and cpio.  No kernel modules:
# everything the guest uses (8250 serial, BPF, tracefs, the proc
# connector) is built into Debian's kernels.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1 quark=$2 helpers=$3
bb=/bin/busybox
[ -x "$bb" ] && ! readelf -l "$bb" | grep -q 'program interpreter' ||
    { echo "mkinitramfs: $bb is not static (apt-get install busybox-static)" >&2; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin" "$t/dev" "$t/proc" "$t/sys" "$t/tmp"
cp "$bb" "$t/bin/busybox"
for a in $("$bb" --list); do
	[ -e "$t/bin/$a" ] || ln -s busybox "$t/bin/$a"
done
install -m 0755 "$here/init" "$t/init"
install -m 0755 "$quark" "$t/bin/quark"
for h in exitcode dropids newsid nobpf fileless thread_exec; do
	install -m 0755 "$helpers/$h" "$t/bin/$h"
done
# A console for the kernel to open before /init mounts devtmpfs (only
# root can make the node; /init copes without it).
mknod -m 600 "$t/dev/console" c 5 1 2>/dev/null || :
(cd "$t" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
