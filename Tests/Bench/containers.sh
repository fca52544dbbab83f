#!/usr/bin/env bash
# Benchmarks containers through the docker CLI against berthd and, when installed, Debian's
# dockerd (package docker.io, with containerd and runc), in one run on this machine. berthd runs
# with its defaults (only paths and sockets given); dockerd as the issue compares it: vfs,
# --bridge=none, --iptables=false. The image: busybox (Debian's busybox-static) imported as bb.
#  1. `docker run --rm bb true`, RUNS times (default 20): median and mean wall time.
#  2. `docker start` of a created `sleep 1000` container (the CLI returns once it runs), RUNS times.
#  3. `docker exec c true` in a running container, RUNS times: median and mean wall time.
#  4. Exec throughput: `docker exec c cat /dev/zero | head -c 1G`, three times, the best in MiB/s.
#  5. Memory per idle container: 100 `docker run -d bb sleep 1000`, and the growth of the
#     proportional set size (PSS) of the daemon's processes (berthd; dockerd + containerd + the
#     shims), divided by 100. The containers' own processes are the same for both and not counted.
# Usage: Tests/Bench/containers.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
# Removed memory cgroups still pinned by cached pages slow every container operation of both
# daemons (see CONTRIBUTING, "Runtime figures"); sync; echo 3 > /proc/sys/vm/drop_caches frees them.
MEMCGS=$(awk '$1 == "memory" { print $3 }' /proc/cgroups)
echo "memory cgroups, removed ones included: $MEMCGS"
if [ "${MEMCGS:-0}" -gt 200 ]; then
    echo "warning: $MEMCGS memory cgroups (most of them removed, not yet freed) slow both daemons down" >&2
fi
RUNS=${1:-20}
WORK=$(mktemp -d /var/tmp/berth-containers-bench-XXXXXX)
. Tests/Bench/daemons.sh

swift build -c release --static-swift-stdlib --product berthd >/dev/null
BERTHD=.build/release/berthd
mkdir -p "$WORK/rootfs/bin" "$WORK/rootfs/etc"
cp /bin/busybox "$WORK/rootfs/bin/"
for applet in sh true sleep cat; do ln -s busybox "$WORK/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$WORK/rootfs/etc/passwd"
tar --numeric-owner -C "$WORK/rootfs" -cf "$WORK/bb.tar" .

milliseconds() { local start end; start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N); echo $(((end - start) / 1000000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mean() { awk '{ s += $1 } END { printf "%.0f", s / NR }'; }
# The PSS in KiB of the processes whose pids are given.
pss() { local total=0 kb; for pid in "$@"; do kb=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0); total=$((total + ${kb:-0})); done; echo $total; }

measure() {  # name socket pids-command
    local name=$1 socket=$2 pids=$3 runs=() starts=()
    export DOCKER_HOST="unix://$socket"
    docker import "$WORK/bb.tar" bb >/dev/null
    for _ in 1 2 3; do docker run --rm bb true; done
    for _ in $(seq 1 "$RUNS"); do runs+=("$(milliseconds docker run --rm bb true)"); done
    echo "$name: docker run --rm bb true: median $(printf '%s\n' "${runs[@]}" | median) ms, mean $(printf '%s\n' "${runs[@]}" | mean) ms"
    for index in $(seq 1 "$RUNS"); do
        docker create --name "start$index" bb sleep 1000 >/dev/null
        starts+=("$(milliseconds docker start "start$index")")
    done
    echo "$name: docker start (created -> running): median $(printf '%s\n' "${starts[@]}" | median) ms, mean $(printf '%s\n' "${starts[@]}" | mean) ms"
    docker run -d --name execd bb sleep 100000 >/dev/null
    for _ in 1 2 3; do docker exec execd true; done
    local execs=() best=0 rate
    for _ in $(seq 1 "$RUNS"); do execs+=("$(milliseconds docker exec execd true)"); done
    echo "$name: docker exec c true: median $(printf '%s\n' "${execs[@]}" | median) ms, mean $(printf '%s\n' "${execs[@]}" | mean) ms"
    for _ in 1 2 3; do
        rate=$(( 1024 * 1000 / $(milliseconds sh -c 'docker exec execd cat /dev/zero | head -c 1073741824') ))
        [ "$rate" -gt "$best" ] && best=$rate
    done
    echo "$name: docker exec c cat /dev/zero | head -c 1G: best of 3 $best MiB/s"
    docker rm -f $(docker ps -aq) >/dev/null
    sleep 2
    local before after
    before=$(pss $($pids))
    for index in $(seq 1 100); do docker run -d --name "idle$index" bb sleep 1000 >/dev/null; done
    sleep 3
    after=$(pss $($pids))
    echo "$name: 100 idle containers: daemon PSS $((before / 1024)) MiB -> $((after / 1024)) MiB, $(((after - before) / 100)) KiB per container ($($pids | wc -w) processes)"
    docker rm -f $(docker ps -aq) >/dev/null
}

echo "== berthd $(git rev-parse --short HEAD 2>/dev/null || echo '') =="
$BERTHD -H "unix://$WORK/berthd.sock" -p "$WORK/berthd.pid" --data-root "$WORK/bdata" --exec-root "$WORK/bexec" \
    --config-file /dev/null > "$WORK/berthd.log" 2>&1 &
wait_for "$WORK/berthd.sock"
berthd_pids() { cat "$WORK/berthd.pid"; }
measure berthd "$WORK/berthd.sock" berthd_pids

if command -v dockerd >/dev/null; then
    echo "== $(dockerd --version), $(containerd --version | cut -d' ' -f1,3), $(runc --version | head -1) =="
    dockerd --data-root "$WORK/ddata" --exec-root "$WORK/dexec" --pidfile "$WORK/dockerd.pid" -H "unix://$WORK/dockerd.sock" \
        --storage-driver vfs --bridge=none --iptables=false > "$WORK/dockerd.log" 2>&1 &
    wait_for "$WORK/dockerd.sock"
    dockerd_pids() {
        local daemon
        daemon=$(cat "$WORK/dockerd.pid")
        echo "$daemon" $(pgrep -P "$daemon" containerd || true) $(pgrep -f "containerd-shim-runc-v2 .*$WORK/dexec" || true)
    }
    measure dockerd "$WORK/dockerd.sock" dockerd_pids
else
    echo "(dockerd is not installed: apt-get install docker.io to compare)"
fi
