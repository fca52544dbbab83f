#!/usr/bin/env bash
# Benchmarks berthd and, when installed, Debian's dockerd (package docker.io) side by side, on
# this machine, in one run: server pinned to CPU 0, load generator to CPU 1. Both daemons run
# with their default flags: only paths and sockets are given, as a user starts them.
# dockerd's defaults set up a docker0 bridge and iptables rules: the script saves the rules and
# restores them, and removes a docker0 that was not there before.
# Usage: Tests/Bench/compare.sh [seconds per load run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-10}
WORK=$(mktemp -d /tmp/berth-bench-XXXXXX)
. Tests/Bench/daemons.sh

swift build -c release --static-swift-stdlib --product berthd >/dev/null
swift build -c release --product berth-bench >/dev/null
BENCH=.build/release/berth-bench
BERTHD=.build/release/berthd

run_suite() {  # name socket pid
    local name=$1 socket=$2 pid=$3
    taskset -c 1 $BENCH --unix "$socket" -c 64 -d "$SECONDS_PER_RUN" --pid "$pid" --label "$name /_ping keep-alive c=64"
    taskset -c 1 $BENCH --unix "$socket" -c 16 -d "$SECONDS_PER_RUN" --close --pid "$pid" --label "$name /_ping Connection: close c=16"
    taskset -c 1 $BENCH --unix "$socket" --idle 10000 --pid "$pid" --label "$name idle"
    echo "$name log after the runs: $(wc -l < "$WORK/$name.log") lines, $(wc -c < "$WORK/$name.log") bytes"
}

echo "== berthd $(git rev-parse --short HEAD 2>/dev/null || echo '') =="
# --config-file /dev/null: a daemon.json on this machine must not change the defaults measured.
taskset -c 1 $BENCH --unix "$WORK/startup.sock" --label "berthd" --startup -- "$PWD/$BERTHD" -H "unix://$WORK/startup.sock" \
    -p "$WORK/startup.pid" --data-root "$WORK/sdata" --exec-root "$WORK/sexec" --config-file /dev/null
taskset -c 0 $BERTHD -H "unix://$WORK/berthd.sock" -p "$WORK/berthd.pid" --data-root "$WORK/bdata" --exec-root "$WORK/bexec" \
    --config-file /dev/null > "$WORK/berthd.log" 2>&1 &
wait_for "$WORK/berthd.sock"
run_suite berthd "$WORK/berthd.sock" "$(cat "$WORK/berthd.pid")"

if command -v dockerd >/dev/null; then
    echo "== $(dockerd --version) =="
    taskset -c 0 dockerd --data-root "$WORK/ddata" --exec-root "$WORK/dexec" --pidfile "$WORK/dockerd.pid" \
        -H "unix://$WORK/dockerd.sock" > "$WORK/dockerd.log" 2>&1 &
    wait_for "$WORK/dockerd.sock"
    run_suite dockerd "$WORK/dockerd.sock" "$(cat "$WORK/dockerd.pid")"
else
    echo "(dockerd is not installed: apt-get install docker.io to compare)"
fi
