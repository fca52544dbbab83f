#!/usr/bin/env bash
# Benchmarks `docker load` and `docker save` against berthd and, when installed, Debian's dockerd
# (package docker.io), in one run on this machine, both with their default flags (only paths and
# sockets given). The image: 200 MiB of incompressible data in 5 layers (make-image.py). Each
# step runs RUNS times (default 3) and the median is reported. Then berthd loads a 1 GiB image
# (5 layers of 200 MiB) and its peak RSS growth is reported.
# Usage: Tests/Bench/images.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
WORK=$(mktemp -d /var/tmp/berth-images-bench-XXXXXX)
. Tests/Bench/daemons.sh

swift build -c release --static-swift-stdlib --product berthd >/dev/null
BERTHD=.build/release/berthd
python3 Tests/Bench/make-image.py "$WORK/image.tar" bench:1 5 40 >/dev/null
python3 Tests/Bench/make-image.py "$WORK/big.tar" big:1 5 200 >/dev/null

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

measure() {  # name socket
    local name=$1 socket=$2 loads=() saves=()
    export DOCKER_HOST="unix://$socket"
    for _ in $(seq 1 "$RUNS"); do
        docker rmi -f bench:1 >/dev/null 2>&1 || true
        loads+=("$(seconds docker load -i "$WORK/image.tar")")
        saves+=("$(seconds docker save -o "$WORK/out.tar" bench:1)")
        rm -f "$WORK/out.tar"
    done
    echo "$name: docker load of 200 MiB in 5 layers: median $(printf '%s\n' "${loads[@]}" | median) s (${loads[*]})"
    echo "$name: docker save of the same: median $(printf '%s\n' "${saves[@]}" | median) s (${saves[*]})"
    docker rmi -f bench:1 >/dev/null
}

echo "== berthd $(git rev-parse --short HEAD 2>/dev/null || echo '') =="
$BERTHD -H "unix://$WORK/berthd.sock" -p "$WORK/berthd.pid" --data-root "$WORK/bdata" --exec-root "$WORK/bexec" \
    --config-file /dev/null > "$WORK/berthd.log" 2>&1 &
wait_for "$WORK/berthd.sock"
measure berthd "$WORK/berthd.sock"
pid=$(cat "$WORK/berthd.pid")
before=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
DOCKER_HOST="unix://$WORK/berthd.sock" docker load -i "$WORK/big.tar" >/dev/null
after=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
echo "berthd: loading a 1 GiB image (5 layers of 200 MiB): peak RSS $((before / 1024)) MiB -> $((after / 1024)) MiB (+$(((after - before) / 1024)) MiB)"

if command -v dockerd >/dev/null; then
    echo "== $(dockerd --version) =="
    dockerd --data-root "$WORK/ddata" --exec-root "$WORK/dexec" --pidfile "$WORK/dockerd.pid" \
        -H "unix://$WORK/dockerd.sock" > "$WORK/dockerd.log" 2>&1 &
    wait_for "$WORK/dockerd.sock"
    measure dockerd "$WORK/dockerd.sock"
else
    echo "(dockerd is not installed: apt-get install docker.io to compare)"
fi
