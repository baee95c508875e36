#!/bin/sh
# Build the serving and batch images with podman and prove they work, on a machine where
# containers cannot be run: each image's filesystem is exported and run under chroot as the
# image's user, with the image's environment. The batch image's CLI trains a small model into a
# registry volume; the serving image's entrypoint serves it. Measures both images' sizes and
# the serving image's time to /health and /ready.
set -eu

usage() {
    cat <<'TEXT'
usage: scripts/container-test.sh [--base IMAGE] [--tag TAG] [--workdir DIR] [--keep]

  --base IMAGE   BASE build argument (default: localhost/python:3.12-bookworm-local, built by
                 scripts/container-base.sh when missing)
  --tag TAG      serving image to build (default: localhost/fraudforge:test); the batch
                 image is tagged with -batch after the name (localhost/fraudforge-batch:test)
  --workdir DIR  scratch directory (default: build/container)
  --keep         keep the exported filesystem afterwards

Needs root, podman and chroot. A CA bundle for pip behind a TLS-inspecting proxy is passed to
the build as the pip-ca secret when $PIP_CERT names one. Writes WORKDIR/report.txt; exits 0
when both images were built, the batch image trained a model as its user, and the serving
image started as its user, answered /health, /ready and a score, and shut down cleanly with
its snapshot written, three times (first start, restart, new container without a Numba
cache); 1 otherwise.
TEXT
}

die() { echo "container-test: $*" >&2; exit 1; }

base=localhost/python:3.12-bookworm-local
tag=localhost/fraudforge:test
workdir=build/container
keep=no
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --base) [ $# -ge 2 ] || die "--base needs a value"; base=$2; shift 2 ;;
        --tag) [ $# -ge 2 ] || die "--tag needs a value"; tag=$2; shift 2 ;;
        --workdir) [ $# -ge 2 ] || die "--workdir needs a value"; workdir=$2; shift 2 ;;
        --keep) keep=yes; shift ;;
        *) usage >&2; echo "container-test: unknown option \`$1\`" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "run as root (chroot and the podman store need it)"
command -v podman >/dev/null 2>&1 || die "podman is not installed (apt-get install podman)"
cd "$(dirname "$0")/.."
mkdir -p "$workdir"
workdir=$(cd "$workdir" && pwd)
report=$workdir/report.txt
root=$workdir/rootfs
batch_root=$workdir/batch-rootfs
now_ms() { date +%s%3N; }

if ! podman image exists "$base"; then
    case "$base" in
        localhost/python:3.12-bookworm-local)
            echo "== base image $base (scripts/container-base.sh)"
            scripts/container-base.sh --tag "$base" --workdir "$workdir" ;;
        *) die "base image $base is not in the local store" ;;
    esac
fi

name=${tag%:*}
case "$tag" in *:*) batch_tag=$name-batch:${tag##*:} ;; *) batch_tag=$tag-batch ;; esac
echo "== podman build --isolation chroot --build-arg BASE=$base -t $tag (and --target batch -t $batch_tag)"
set -- --isolation chroot --format docker --build-arg "BASE=$base" -f Containerfile
if [ -n "${PIP_CERT:-}" ] && [ -s "$PIP_CERT" ]; then
    set -- "$@" --secret "id=pip-ca,src=$PIP_CERT"
fi
began=$(now_ms)
podman build "$@" -t "$tag" . >"$workdir/build.log" 2>&1 || die "build failed; see $workdir/build.log"
build_s=$(( ($(now_ms) - began) / 1000 ))
podman build "$@" --target batch -t "$batch_tag" . >>"$workdir/build.log" 2>&1 \
    || die "batch build failed; see $workdir/build.log"
size=$(podman image inspect --format '{{.Size}}' "$tag")
batch_size=$(podman image inspect --format '{{.Size}}' "$batch_tag")
user=$(podman image inspect --format '{{.Config.User}}' "$tag")
health=$(podman image inspect --format '{{json .Config.Healthcheck.Test}}' "$tag")
entrypoint=$(podman image inspect --format '{{range .Config.Entrypoint}}{{.}} {{end}}' "$tag")
case "${user%%:*}" in
    ""|0|root) die "the image runs as root (User: '$user')" ;;
esac
[ "$health" != null ] || die "the image has no HEALTHCHECK (build with --format docker)"

cleanup() {
    if [ -n "${server:-}" ]; then kill -TERM "$server" 2>/dev/null || true; fi
    for dir in "$root" "$batch_root"; do
        for m in "$dir/dev/shm" "$dir/dev" "$dir/proc"; do
            if mountpoint -q "$m" 2>/dev/null; then umount -l "$m"; fi
        done
        if [ "$keep" = no ] && [ -d "$dir" ]; then rm -rf "$dir"; fi
    done
    podman rm --force fraudforge-container-test >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
cleanup
export_image() {  # export_image IMAGE DIR: the image's filesystem in DIR, with what a container
    # runtime provides: /proc, a few device nodes and a shared-memory tmpfs; and its own
    # environment, one NAME=VALUE a line, in DIR.env
    echo "== export $1 to $2"
    rm -rf "$2"
    mkdir -p "$2"
    podman create --name fraudforge-container-test "$1" >/dev/null 2>>"$workdir/build.log"
    podman export fraudforge-container-test | tar -C "$2" -xf -
    podman rm fraudforge-container-test >/dev/null 2>>"$workdir/build.log"
    mount -t proc proc "$2/proc"
    mount -t tmpfs -o mode=755,size=64k tmpfs "$2/dev"
    for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
        IFS=: read -r name major minor <<NODE
$node
NODE
        mknod -m 666 "$2/dev/$name" c "$major" "$minor"
    done
    mkdir -p "$2/dev/shm"
    mount -t tmpfs -o mode=1777,size=256m tmpfs "$2/dev/shm"
    podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$1" \
        | sed '/^$/d' >"$2.env"
}
export_image "$tag" "$root"
export_image "$batch_tag" "$batch_root"
cp "$root.env" "$workdir/image.env"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_batch() {  # run a command in the exported batch image as its user, with its environment
    # shellcheck disable=SC2046
    chroot --userspec="$user" "$batch_root" /usr/bin/env -i $(cat "$batch_root.env") "$@"
}
as_image() {  # run a command in the exported image as its user, with its environment
    # shellcheck disable=SC2046
    chroot --userspec="$user" "$root" /usr/bin/env -i $(cat "$workdir/image.env") \
        "FRAUDFORGE_PORT=$port" "$@"
}
as_image_exec() {  # the same, replacing the calling (background) shell: $! is the server
    # shellcheck disable=SC2046
    exec chroot --userspec="$user" "$root" /usr/bin/env -i $(cat "$workdir/image.env") \
        "FRAUDFORGE_PORT=$port" "$@"
}

echo "== a registry volume with a small model, made by the batch image's CLI as $user"
volume=/srv/fraudforge
as_batch fraudforge generate --customers 600 --days 30 --fraud-rate 0.05 --seed 11 \
    --out "$volume/data" --quiet >"$workdir/model.log" 2>&1 || die "generate failed; see $workdir/model.log"
as_batch fraudforge features --in "$volume/data" --out "$volume/features" \
    >>"$workdir/model.log" 2>&1 || die "features failed; see $workdir/model.log"
as_batch fraudforge train --data "$volume/data" --features "$volume/features" \
    --params '{"n_estimators": 40, "num_leaves": 15}' --validation-days 0 --gap-days 1 \
    --test-days 5 --registry "$volume/registry" --name fraud-model --stage production \
    >>"$workdir/model.log" 2>&1 || die "train failed; see $workdir/model.log"
# the volume moves to the serving container, without the batch runs' Numba cache
rm -rf "$batch_root$volume/.numba-cache"
cp -a "$batch_root$volume/." "$root$volume/"

wait_for() {  # wait_for SECONDS: from this host, as an orchestrator would, poll /health then
    # /ready until 200 (one process, 20 ms apart); prints the ms from $started to each
    python3 - "$port" "$started" "$1" "$server" <<'PY'
import os, sys, time, urllib.request
port, started, limit, server = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
deadline = time.monotonic() + limit
for path in ("/health", "/ready"):
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                break
        except OSError:
            os.kill(server, 0)  # raises when the server died
            if time.monotonic() > deadline:
                sys.exit(f"{path} did not answer 200 within {limit:g} s")
            time.sleep(0.02)
    print(time.time_ns() // 1_000_000 - started, end=" ")
PY
}

healthcheck() {  # run the image's HEALTHCHECK command (CMD form) in the image, as its user
    # shellcheck disable=SC2046
    python3 - "$health" chroot --userspec="$user" "$root" /usr/bin/env -i \
        $(cat "$workdir/image.env") "FRAUDFORGE_PORT=$port" <<'PY'
import json, subprocess, sys
test = json.loads(sys.argv[1])
assert test[0] == "CMD", f"HEALTHCHECK is not in CMD form: {test}"
sys.exit(subprocess.run([*sys.argv[2:], *test[1:]], stderr=subprocess.DEVNULL).returncode)
PY
}

serve() {  # serve NAME EXTRA-ARGS...: start the entrypoint, time /health and /ready
    run=$1; shift
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then
        die "something already answers on port $port"
    fi
    started=$(now_ms)
    # shellcheck disable=SC2086
    as_image_exec $entrypoint "$@" >"$workdir/serve-$run.log" 2>&1 &
    server=$!
    times=$(wait_for 120) || die "$run: the server did not answer; see $workdir/serve-$run.log"
    health_ms=${times%% *}
    ready_ms=${times#* }
    ready_ms=${ready_ms% }
    healthcheck || die "$run: the image's HEALTHCHECK failed against the running server"
    echo "$run: /health after ${health_ms} ms, /ready after ${ready_ms} ms; HEALTHCHECK passes"
    echo "start $run: /health ${health_ms} ms, /ready ${ready_ms} ms (load average $(cut -d' ' -f1 /proc/loadavg))" >>"$report"
}

score() {  # one real transaction of a known customer, timestamped now, scored over HTTP
    as_image python - "$port" 2>"$workdir/score.log" <<'PY' || die "$run: scoring failed: $(tail -n 3 "$workdir/score.log")"
import datetime as dt, json, sys, time, urllib.request
import polars as pl
from fraudforge.engine.dataset import scan_dataset
from fraudforge.wire import IST, Transaction
row = (scan_dataset("/srv/fraudforge/data", "transactions")
       .sort("timestamp").tail(1).select(list(Transaction.__struct_fields__)).collect()
       .to_dicts()[0])
row["timestamp"] = dt.datetime.now(IST).replace(tzinfo=None, microsecond=0).isoformat()
# a new id each start: the service refuses an id it scored before with another body (409)
row["transaction_id"] = (row["transaction_id"] + time.time_ns()) % 2**62
row = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/v1/score",
                             data=json.dumps(row).encode(), headers={"content-type": "application/json"})
began = time.perf_counter()
with urllib.request.urlopen(req, timeout=300) as r:  # the first score may compile kernels
    body = json.loads(r.read())
with open("/tmp/score.ms", "w") as f:
    print(round((time.perf_counter() - began) * 1000), file=f)
assert body["decision"] in ("ALLOW", "FLAG", "REVIEW", "BLOCK"), body
assert body["model"] == {"name": "fraud-model", "version": 1}, body
print(f"scored {row['transaction_id']}: p={body['fraud_probability']:.4f} {body['decision']}")
PY
    echo "start $run: first POST /v1/score answered in $(cat "$root/tmp/score.ms") ms" >>"$report"
}

stop() {
    kill -TERM "$server"
    wait "$server" || code=$?
    code=${code:-0}
    # uvicorn re-raises the SIGTERM it handled: 143 is a clean stop too
    [ "$code" = 0 ] || [ "$code" = 143 ] || die "the server exited $code on SIGTERM; see $workdir/serve-$run.log"
    unset code server
    if healthcheck; then die "$run: the HEALTHCHECK passes with the server stopped"; fi
}

: >"$report"
echo "image $tag (BASE=$base): $size bytes ($((size / 1000000)) MB), user $user, built in ${build_s} s" >>"$report"
echo "image $batch_tag: $batch_size bytes ($((batch_size / 1000000)) MB)" >>"$report"
echo "== first start: online state warm-started from the dataset, empty Numba cache"
serve cold --data "$volume/data" --features "$volume/features"
score
stop
[ -s "$root$volume/state.npz" ] || die "no snapshot at $volume/state.npz after the first run"
echo "== restart: state restored from the snapshot, Numba cache in the volume"
serve restart
score
stop
echo "== new container on the same volume without its Numba cache (a new image's first start)"
rm -rf "$root$volume/.numba-cache"
serve recompile
score
stop
cat "$report"
