#!/bin/sh
# tools/deb.sh TARBALL OUTDIR - build the Debian packages from a release
# tarball (make dist) in OUTDIR, never in the source tree, then check where
# the files landed.  `make deb` runs it; it is not part of make check.
# DEB_BUILD_OPTIONS=nocheck skips the (offline) tests of the package build.
set -eu
tarball=$1 out=$2
command -v dpkg-buildpackage >/dev/null || {
    echo "deb.sh: dpkg-buildpackage not found: apt-get install dpkg-dev debhelper" >&2
    exit 1
}
rm -rf "$out"
mkdir -p "$out"
tar -C "$out" -xzf "$tarball"
src=$(cd "$out" && ls -d */ | head -n 1)
(cd "$out/$src" && dpkg-buildpackage -us -uc -b)

fails=0
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
expect() { # expect PACKAGE PATH...: each PATH is in the package
    deb=$(ls "$out"/"$1"_*.deb) || { echo "deb.sh: no $1 package" >&2; fails=1; return; }
    list=$(contents "$deb")
    shift
    for p in "$@"; do
        printf '%s\n' "$list" | grep -qx -- "$p" ||
            { echo "deb.sh: $deb lacks $p" >&2; fails=1; }
    done
}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
doc=/usr/share/doc/delta-sharing-fcgi
expect delta-sharing-fcgi /usr/sbin/delta-sharing.fcgi /usr/sbin/delta-sharing-admin \
    /etc/delta-sharing/delta-sharing.conf.sample \
    /usr/share/man/man5/delta-sharing.conf.5.gz /usr/share/man/man8/delta-sharing.fcgi.8.gz \
    /usr/share/man/man8/delta-sharing-admin.8.gz "$doc/copyright" \
    "$doc/examples/delta-sharing.conf.sample" "$doc/examples/spawn-fcgi.sh" \
    "$doc/examples/nginx/delta-sharing.conf"
expect libdeltasharing0 "/usr/lib/$ma/libdeltasharing.so.0"
expect libdeltasharing-dev /usr/include/deltasharing.h "/usr/lib/$ma/libdeltasharing.so" \
    "/usr/lib/$ma/pkgconfig/libdeltasharing.pc"
# nothing outside the places Debian policy allows a package to put files
for deb in "$out"/*.deb; do
    bad=$(contents "$deb" | grep -v '/$' |
          grep -Ev '^/(usr/sbin|usr/bin|usr/lib|usr/include|usr/share/(man|doc)|etc/delta-sharing)/' || true)
    [ -z "$bad" ] || { echo "deb.sh: $deb puts files elsewhere: $bad" >&2; fails=1; }
    echo "== $deb"; dpkg-deb -c "$deb"
done
if command -v lintian >/dev/null; then
    echo "== lintian"
    lintian --fail-on error "$out"/*.changes || fails=1
else
    echo "deb.sh: lintian not installed, not run"
fi
[ "$fails" -eq 0 ] && echo "deb.sh: packages in $out"
exit "$fails"
