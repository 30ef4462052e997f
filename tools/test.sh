#!/bin/sh
# tools/test.sh - install what the build and the tests need (Debian), build,
# and run the whole test suite.  This is the README's test command and what
# CI runs.  Extra arguments go to ./configure (e.g. --enable-sanitizers).
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential autoconf automake libtool pkg-config libfcgi-dev libjson-c-dev
libcurl4-openssl-dev libsodium-dev libssl-dev zlib1g-dev libzstd-dev libsnappy-dev check nginx
lighttpd spawn-fcgi curl python3 openssl apache2 libapache2-mod-fcgid systemd"
# The object-store peers (tests/peers) run on Node.  A machine that already
# has node and npm (not necessarily from Debian) keeps them.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    PKGS="$PKGS nodejs npm"
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "tools/test.sh: installing:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# The peers' pinned npm set, exactly as the lock file says.
npm ci --prefix tests/peers --no-audit --no-fund

autoreconf -fi
./configure --enable-werror --enable-static-cgi "$@"
make -j"$(nproc)"
make -j"$(nproc)" check || { cat tests/*.log tests/*/*.log 2>/dev/null | tail -n 200; exit 1; }
