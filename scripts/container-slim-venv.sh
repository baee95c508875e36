#!/bin/sh
# Make a virtual environment smaller without changing behaviour (used by the Containerfile):
# the libraries' own test suites go, and their extension modules lose their symbol tables
# (wheels ship them unstripped). The vendored libraries in *.libs/ are left alone: auditwheel
# rewrote them with patchelf, and strip breaks them ("ELF load command address/offset not
# page-aligned").
#
#   scripts/container-slim-venv.sh VENV
set -eu
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: $0 VENV" >&2; exit 2; }
find "$1" -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} +
find "$1" -type f -name '*.so*' -not -path '*.libs/*' -exec strip --strip-unneeded {} +
