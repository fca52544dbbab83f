#!/usr/bin/env bash
# Heap allocations per request for GET /_ping over one keep-alive connection: runs berthd twice
# under a malloc-counting LD_PRELOAD, with a short and a long run, and divides the difference.
# Usage: Tests/Bench/count-allocations.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=$(mktemp -d /tmp/berth-allocs-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
swift build -c release --static-swift-stdlib --product berthd >/dev/null
swift build -c release --product berth-bench >/dev/null
gcc -O2 -shared -fPIC -o "$WORK/malloc-count.so" Tests/Bench/malloc-count.c -ldl

run() {  # seconds -> "allocations requests"
    rm -f "$WORK/b.sock" "$WORK/b.pid"
    MALLOC_COUNT_FILE="$WORK/count" LD_PRELOAD="$WORK/malloc-count.so" .build/release/berthd -H "unix://$WORK/b.sock" \
        -p "$WORK/b.pid" --data-root "$WORK/d" --exec-root "$WORK/e" --config-file /dev/null 2>/dev/null &
    for _ in $(seq 1 100); do [ -S "$WORK/b.sock" ] && break; sleep 0.05; done
    local line requests
    line=$(.build/release/berth-bench --unix "$WORK/b.sock" -c 1 -d "$1")
    requests=$(echo "$line" | sed -E 's/.*: ([0-9]+) requests.*/\1/')
    kill -TERM "$(cat "$WORK/b.pid")"; wait
    echo "$(cat "$WORK/count") $requests"
}
read -r a1 r1 <<< "$(run 1)"
read -r a2 r2 <<< "$(run 3)"
echo "allocations per GET /_ping (whole request: read, parse, route, middleware, handler, write):" \
     "$(( (a2 - a1) / (r2 - r1) )) (from $a1 allocations for $r1 requests and $a2 for $r2)"
