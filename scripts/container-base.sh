#!/bin/sh
# Build a python:3.12-slim-like base image without an image registry: a minimal Debian
# (debootstrap, from Debian's package archive) with a CPython built on this machine copied to
# /usr/local, as the official image has it, then `podman import`ed.
set -eu

usage() {
    cat <<'TEXT'
usage: scripts/container-base.sh [--python PREFIX] [--suite SUITE] [--mirror URL]
                                 [--tag TAG] [--workdir DIR]

Builds a local base image for `podman build --build-arg BASE=TAG`.

  --python PREFIX  installation prefix of a CPython >= 3.11 built for this machine's Debian
                   (default: `pyenv prefix 3.12`, else the prefix of python3.12 on PATH)
  --suite SUITE    Debian suite to debootstrap (default: bookworm, the official image's)
  --mirror URL     Debian mirror (default: http://deb.debian.org/debian)
  --tag TAG        image to create (default: localhost/python:3.12-bookworm-local)
  --workdir DIR    scratch directory (default: build/container)

Needs root, debootstrap and podman. Prints the image tag on success.
TEXT
}

die() { echo "container-base: $*" >&2; exit 2; }

python_prefix=""
suite=bookworm
mirror=http://deb.debian.org/debian
tag=localhost/python:3.12-bookworm-local
workdir=build/container
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --python) [ $# -ge 2 ] || die "--python needs a value"; python_prefix=$2; shift 2 ;;
        --suite) [ $# -ge 2 ] || die "--suite needs a value"; suite=$2; shift 2 ;;
        --mirror) [ $# -ge 2 ] || die "--mirror needs a value"; mirror=$2; shift 2 ;;
        --tag) [ $# -ge 2 ] || die "--tag needs a value"; tag=$2; shift 2 ;;
        --workdir) [ $# -ge 2 ] || die "--workdir needs a value"; workdir=$2; shift 2 ;;
        *) usage >&2; die "unknown option \`$1\`" ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot need it)"
for tool in debootstrap podman strip; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (apt-get install $tool)"
done
if [ -z "$python_prefix" ]; then
    if command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.12 >/dev/null 2>&1; then
        python_prefix=$(pyenv prefix 3.12)
    elif command -v python3.12 >/dev/null 2>&1; then
        python_prefix=$(python3.12 -c 'import sys; print(sys.base_prefix)')
    else
        die "no CPython 3.12 found: pass --python PREFIX"
    fi
fi
[ -d "$python_prefix/lib" ] || die "--python $python_prefix: not an installation prefix (no lib/)"
version=$(find "$python_prefix/bin" -maxdepth 1 -name 'python3.*' -printf '%f\n' \
    | sed -n 's/^python\(3\.[0-9][0-9]*\)$/\1/p' | sort -V | tail -n 1)
[ -n "$version" ] || die "--python $python_prefix: no bin/python3.X in it"

root="$workdir/base-rootfs"
rm -rf "$root"
mkdir -p "$workdir"
# what CPython's extension modules link to, plus what the official slim image carries
debootstrap --variant=minbase \
    --include=ca-certificates,netbase,tzdata,libssl3,libsqlite3-0,libffi8,libbz2-1.0,liblzma5,libreadline8,libncursesw6,zlib1g,libuuid1,libgdbm6,libgdbm-compat4,libexpat1 \
    "$suite" "$root" "$mirror" >"$workdir/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $workdir/debootstrap.log"

# CPython into /usr/local without its test suite, static library and third-party packages
tar -C "$python_prefix" \
    --exclude="./lib/python$version/test" \
    --exclude="./lib/python$version/idlelib/idle_test" \
    --exclude="./lib/python$version/config-$version-*/*.a" \
    --exclude="./lib/python$version/site-packages/*" \
    --exclude='__pycache__' \
    -cf - ./bin ./include ./lib | tar -C "$root/usr/local" -xf -
# pip back in, as the official image has it (bundled wheel, no download)
chroot "$root" /sbin/ldconfig
chroot "$root" "/usr/local/bin/python$version" -m ensurepip --default-pip >/dev/null
for name in python python3; do ln -sf "python$version" "$root/usr/local/bin/$name"; done
ln -sf "pip$version" "$root/usr/local/bin/pip"
chroot "$root" /usr/local/bin/python3 -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, venv'
# as Debian's slim images: no documentation, manual pages or translations, and apt keeps no
# package cache or lists once an install is done
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/usr/share/locale/"*
cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
cat >"$root/etc/apt/apt.conf.d/slim" <<'CFG'
APT::Install-Recommends "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
# the official image links CPython with --strip-all; a local build keeps its symbols
find "$root/usr/local" -type f \( -name '*.so' -o -name '*.so.*' \) -exec strip --strip-unneeded {} +
strip --strip-unneeded "$root/usr/local/bin/python$version"

tar -C "$root" -cf - . | podman import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$tag" >/dev/null
rm -rf "$root"
echo "$tag"
