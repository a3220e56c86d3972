#!/bin/sh
# fetch-kernels.sh [NAME...] - resolve, download and cache the kernels of
# tests/vm/kernels (all of them, or the NAMEs given) from Debian's archive.
#
# For each kernel, prints one line on stdout:
#     NAME VERSION PACKAGE DIR
# where DIR holds `vmlinuz` (the bzImage) and, when the packages have it,
# `config`.  Progress and errors go to stderr.  Exit 1 if a kernel could
# not be had.
#
# apt runs with a private configuration under the cache (its own
# sources.list, lists and archives; the keyring is the system's
# /usr/share/keyrings/debian-archive-keyring.gpg): /etc/apt and the
# system's package lists are never written.  Nothing is installed: the
# packages are downloaded (`apt-get download`) and only their kernel image
# and config are kept (`dpkg-deb --fsys-tarfile`).
#
# Cache: $QUARK_KERNEL_CACHE, by default /var/cache/quark/kernels for root
# and ${XDG_CACHE_HOME:-~/.cache}/quark/kernels for a user.
#     apt/GROUP/     the private apt state of one set of suites
#     PKG_VERSION/   vmlinuz, config: one kernel, never changed once there
#     PKG_VERSION.unavailable   the mirror failed to give it: not retried
# The package lists are refreshed when older than $QUARK_KERNEL_REFRESH
# seconds (default 86400, one day); a kernel already in the cache is not
# downloaded again, so a second run within a day downloads nothing, and a
# run after Debian published a newer kernel fetches only that one.  Several
# runs may share the cache: a lock serializes them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -eq 0 ]; then
	cache=${QUARK_KERNEL_CACHE:-/var/cache/quark/kernels}
else
	cache=${QUARK_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quark/kernels}
fi
refresh=${QUARK_KERNEL_REFRESH:-86400}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=http://deb.debian.org

say() { printf 'fetch-kernels: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -r "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
mkdir -p "$cache" || die "cannot create $cache (set QUARK_KERNEL_CACHE)"
cache=$(cd "$cache" && pwd)
exec 9>"$cache/.lock"
flock 9

# aptopts GROUP: the options that make apt use GROUP's private state only.
aptopts() {
	a=$cache/apt/$1
	echo "-o Dir::Etc::SourceList=$a/sources.list" \
	    "-o Dir::Etc::SourceParts=$a/empty" \
	    "-o Dir::Etc::Preferences=$a/empty/none" \
	    "-o Dir::Etc::PreferencesParts=$a/empty" \
	    "-o Dir::State=$a/state" \
	    "-o Dir::State::Lists=$a/state/lists" \
	    "-o Dir::State::extended_states=$a/state/extended_states" \
	    "-o Dir::Cache=$a/cache" \
	    "-o Dir::Cache::pkgcache=$a/cache/pkgcache.bin" \
	    "-o Dir::Cache::srcpkgcache=$a/cache/srcpkgcache.bin" \
	    "-o APT::Sandbox::User=root"
}

# setup GROUP SUITE...: write GROUP's sources.list; refresh its lists when
# the suites changed or the last refresh is older than $refresh seconds.
setup() {
	g=$1
	shift
	a=$cache/apt/$g
	mkdir -p "$a/empty" "$a/state/lists/partial" \
	    "$a/cache/archives/partial"
	new=$a/sources.list.new
	: >"$new"
	for s in "$@"; do
		case $s in
		*-security) echo "deb [signed-by=$keyring] $mirror/debian-security $s main" ;;
		*) echo "deb [signed-by=$keyring] $mirror/debian $s main" ;;
		esac >>"$new"
	done
	if cmp -s "$new" "$a/sources.list" && [ -f "$a/stamp" ] &&
	    [ $(($(date +%s) - $(stat -c %Y "$a/stamp"))) -lt "$refresh" ]; then
		rm -f "$new"
		return 0
	fi
	mv "$new" "$a/sources.list"
	say "apt-get update ($*)"
	# shellcheck disable=SC2046
	apt-get -q $(aptopts "$g") update >"$a/update.log" 2>&1 ||
	    { cat "$a/update.log" >&2; die "apt-get update failed for $*"; }
	touch "$a/stamp"
}

# version GROUP PKG: the candidate version of PKG in GROUP, or nothing.
version() {
	# shellcheck disable=SC2046
	apt-cache $(aptopts "$1") policy "$2" 2>/dev/null |
	    awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# extract DEB DIR: the bzImage and config of DEB into DIR/vmlinuz and
# DIR/config (boot/vmlinuz-* up to 6.x, usr/lib/modules/*/vmlinuz* on 7.x).
extract() {
	x=$2.x
	rm -rf "$x"
	mkdir -p "$x"
	dpkg-deb --fsys-tarfile "$1" | tar -x -C "$x" --wildcards \
	    --no-wildcards-match-slash \
	    './boot/vmlinuz-*' './boot/config-*' \
	    './usr/lib/modules/*/vmlinuz*' './usr/lib/modules/*/config*' \
	    './boot/*/vmlinuz*' './boot/*/config*' 2>/dev/null || :
	for f in "$x"/boot/vmlinuz-* "$x"/usr/lib/modules/*/vmlinuz*; do
		[ -f "$f" ] && [ ! -f "$2/vmlinuz" ] && cp "$f" "$2/vmlinuz"
	done
	for f in "$x"/boot/config-* "$x"/usr/lib/modules/*/config*; do
		[ -f "$f" ] && [ ! -f "$2/config" ] && cp "$f" "$2/config"
	done
	rm -rf "$x"
}

# download GROUP PKG DIR: apt-get download PKG and extract it into DIR.
download() {
	t=$(mktemp -d "$cache/dl.XXXXXX")
	chmod 755 "$t"	# apt fetches as _apt when it can
	say "apt-get download $2"
	# shellcheck disable=SC2046
	if ! (cd "$t" && apt-get -q $(aptopts "$1") download "$2") \
	    >"$t/log" 2>&1; then
		cat "$t/log" >&2
		rm -rf "$t"
		return 1
	fi
	extract "$t"/*.deb "$3"
	rm -rf "$t"
}

# fetch NAME GROUP META: resolve META to its newest kernel, download it
# unless cached, print the line.
fetch() {
	name=$1 g=$2 meta=$3
	# shellcheck disable=SC2046
	img=$(apt-cache $(aptopts "$g") depends "$meta" 2>/dev/null |
	    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$img" ] || die "$name: $meta depends on no linux-image-VERSION"
	abi=${img#linux-image-}
	# Where the bzImage is: linux-binary-* from 7.x on (linux-image-* is
	# empty there); the -unsigned package first (the same bzImage without
	# the signature packaging), then the signed one.
	for pkg in "linux-binary-unsigned-$abi" "linux-binary-$abi" \
	    "$img-unsigned" "$img"; do
		ver=$(version "$g" "$pkg")
		[ -n "$ver" ] || continue
		dir=$cache/${pkg}_$ver
		# A package the mirror would not give (bullseye-security's
		# index has listed -unsigned packages its pool lacks): not
		# asked again for this version.
		[ -f "$dir.unavailable" ] && continue
		if [ ! -s "$dir/vmlinuz" ]; then
			rm -rf "$dir.tmp"
			mkdir -p "$dir.tmp"
			download "$g" "$pkg" "$dir.tmp" || {
				say "$pkg $ver: download failed, trying the next"
				: >"$dir.unavailable"
				rm -rf "$dir.tmp"; continue; }
			if [ ! -s "$dir.tmp/vmlinuz" ]; then
				say "$pkg $ver: no kernel image in it"
				rm -rf "$dir.tmp"; continue
			fi
			# 7.x keeps the config in linux-base-ABI.
			if [ ! -f "$dir.tmp/config" ] &&
			    [ -n "$(version "$g" "linux-base-$abi")" ]; then
				download "$g" "linux-base-$abi" "$dir.tmp" || :
			fi
			rm -f "$dir.tmp/vmlinuz.x"
			mv "$dir.tmp" "$dir"
		fi
		echo "$name $abi $pkg=$ver $dir"
		return 0
	done
	die "$name: no package of $img could be downloaded"
}

want=" $* " all=$#
rc=0
while read -r name rest; do
	case $name in ''|'#'*) continue ;; esac
	[ "$all" -eq 0 ] || case $want in *" $name "*) ;; *) continue ;; esac
	meta=${rest##*[ 	]}
	suites=$(echo "${rest%"$meta"}" | xargs)
	g=$(echo "$suites" | tr ' ' '+')
	# shellcheck disable=SC2086
	setup "$g" $suites
	( fetch "$name" "$g" "$meta" ) || rc=1
done <"$here/kernels"
exit $rc
