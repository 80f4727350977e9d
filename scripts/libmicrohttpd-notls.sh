#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libmicrohttpd-notls.sh OUT: build OUT/libmicrohttpd.a without TLS from
# Debian's own source package, for the static klptop.
#
# Why: Debian's libmicrohttpd.a is built with HTTPS, so it refers to GnuTLS,
# and a static GnuTLS needs libp11-kit and libunistring, which Debian ships
# only as shared libraries. klptop serves plain HTTP (put a TLS proxy in
# front), so it links a libmicrohttpd that has no TLS code at all: the same
# source, the same Debian patches and the same hardening flags as the
# package, configured with --disable-https.
#
# The source is the version of the installed libmicrohttpd-dev (so the
# header klptop compiles against and the library it links are one release),
# fetched with `apt-get source` through a private apt directory in OUT/apt:
# the host's apt configuration (sources, keys) is never touched, no root is
# needed, and apt checks the files against the archive's signed indexes.
# The deb-src entries are those apt-cache policy gives for
# libmicrohttpd-dev's installed version, so a host's own mirror is used.
set -euo pipefail
out=${1:?usage: libmicrohttpd-notls.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

say() { printf '  %-8s %s\n' MHD "$*"; }
die() { echo "libmicrohttpd-notls: $*" >&2; exit 1; }

ver=$(dpkg-query -W -f='${Version}' libmicrohttpd-dev 2>/dev/null) ||
	die "libmicrohttpd-dev is not installed (make deps)"
command -v dpkg-source >/dev/null || die "dpkg-source is missing (package dpkg-dev: make deps)"

# deb-src lines for the archives that carry the installed version:
# "   500 URI SUITE/COMPONENT ARCH Packages" under "*** VERSION".
sources=$(apt-cache policy libmicrohttpd-dev | awk -v v="$ver" '
	$1 == "***" { mine = ($2 == v); next }
	$1 ~ /^[0-9]+$/ && NF == 2 { mine = ($1 == v); next }
	mine && NF == 5 && $5 == "Packages" {
		split($3, sc, "/")
		print "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " $2 " " sc[1] " " sc[2]
	}' | sort -u)
[ -n "$sources" ] || die "no Debian archive offers libmicrohttpd-dev $ver any more (apt-get update, then make deps)"

apt_dir=$out/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$out/src"
printf '%s\n' "$sources" >"$apt_dir/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
	-o Debug::NoLocking=1 -o "APT::Sandbox::User=$(id -un)")

src=$out/src/libmicrohttpd-${ver%-*}
if [ ! -f "$out/src/.unpacked-$ver" ]; then
	say "apt-get source libmicrohttpd=$ver"
	rm -rf "$out/src" && mkdir -p "$out/src"
	apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 ||
		{ tail -n 5 "$apt_dir/update.log" >&2; die "apt-get update of the deb-src indexes failed"; }
	(cd "$out/src" && apt-get "${apt_opts[@]}" source "libmicrohttpd=$ver") >"$apt_dir/source.log" 2>&1 ||
		{ tail -n 5 "$apt_dir/source.log" >&2; die "apt-get source libmicrohttpd=$ver failed"; }
	[ -x "$src/configure" ] || die "no $src/configure after apt-get source"
	touch "$out/src/.unpacked-$ver"
fi

# Debian's flags for this package (debian/rules: hardening=+all).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cflags=$(cd "$src" && dpkg-buildflags --get CFLAGS)
cppflags=$(cd "$src" && dpkg-buildflags --get CPPFLAGS)

say "configure --disable-https ($ver)"
rm -rf "$out/obj" && mkdir -p "$out/obj"
(cd "$out/obj" && "$src/configure" --disable-shared --enable-static --disable-https \
	--without-gnutls --disable-doc --disable-examples --disable-curl --disable-nls \
	--disable-postprocessor --disable-bauth --disable-dauth --disable-httpupgrade \
	CFLAGS="$cflags" CPPFLAGS="$cppflags") >"$out/configure.log" 2>&1 ||
	{ tail -n 20 "$out/configure.log" >&2; die "configure failed (log: $out/configure.log)"; }
grep -q '^#define HTTPS_SUPPORT' "$out/obj/MHD_config.h" && die "configure kept HTTPS support"
say "make libmicrohttpd.a"
make -C "$out/obj/src/microhttpd" -j"$(nproc)" libmicrohttpd.la >"$out/make.log" 2>&1 ||
	{ tail -n 20 "$out/make.log" >&2; die "make failed (log: $out/make.log)"; }
lib=$out/obj/src/microhttpd/.libs/libmicrohttpd.a
if nm -u "$lib" | grep -q gnutls; then
	die "$lib still refers to GnuTLS: $(nm -u "$lib" | grep gnutls | head -n 3 | tr '\n' ' ')"
fi
cp "$lib" "$out/libmicrohttpd.a.tmp"
echo "$ver" >"$out/version"
mv "$out/libmicrohttpd.a.tmp" "$out/libmicrohttpd.a"
