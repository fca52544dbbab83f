#!/bin/bash
# Create, start, wait and delete of /bin/true on one busybox bundle (`<runtime> run`), N times
# each, berth-runtime against runc and crun in the same run. Prints milliseconds per run.
# Usage: Tests/Bench/runtimes.sh [N] [interleaved|sequential|apart]   (root; apt-get install busybox-static runc crun)
#
# interleaved (the default): the runtimes take turns, run by run, so that the machine's ups and
# downs fall on all of them alike. sequential: N runs of one, then of the next. apart: as
# sequential, with 50 ms of rest (not timed) before each run, as containers started one at a
# time by a person. Back to back, a runtime that moves its init into the cgroup by writing the
# pid to cgroup.procs (runc, crun) pays the RCU grace period that costs once every few runs
# instead of every run; taking turns or resting takes that away. berth-runtime's init moves
# itself (CONTRIBUTING.md, "Containers' processes") and pays none in any mode.
#
# crun 1.8 refuses a hybrid cgroup host, so every runtime runs in a private mount namespace
# without the cgroup2 mount and with hugetlb mounted as a v1 hierarchy. That moves hugetlb out
# of the unified hierarchy for the whole machine while the mount lives; the script checks that
# it is back in /sys/fs/cgroup/unified/cgroup.controllers at the end.
set -euo pipefail
N=${1:-100}
MODE=${2:-interleaved}
case "$MODE" in interleaved|sequential|apart) ;; *) echo "mode: interleaved, sequential or apart" >&2; exit 2 ;; esac
cd "$(dirname "$0")/../.."
# Built as README.md says to install it: a static executable (no dynamic loader at all).
swift build -c release -Xswiftc -static-executable --product berth-runtime --scratch-path .build-static-executable >/dev/null 2>&1
BERTH=$PWD/.build-static-executable/release/berth-runtime
WORK=$(mktemp -d /tmp/berth-runtimes.XXXXXX)
UNIFIED=/sys/fs/cgroup/unified
HAD_HUGETLB=$(grep -qw hugetlb "$UNIFIED/cgroup.controllers" 2>/dev/null && echo yes || echo no)

# A v1 hierarchy whose last mount goes while removed cgroups are still dying outlives the
# mount and keeps its controller from cgroup2 until they are freed (tens of seconds after a
# few hundred containers); mounting it again, empty, and unmounting ends it then.
restore_hugetlb() {
    [ "$HAD_HUGETLB" = yes ] || return 0
    for i in $(seq 1 120); do
        grep -qw hugetlb "$UNIFIED/cgroup.controllers" && return 0
        sleep 1
        if [ $((i % 5)) = 0 ]; then
            unshare -m sh -c "mkdir -p $WORK/hugetlb && mount -t cgroup -o hugetlb cgroup $WORK/hugetlb && umount $WORK/hugetlb" 2>/dev/null || true
        fi
    done
    echo "hugetlb is not back in $UNIFIED/cgroup.controllers" >&2
    return 1
}
cleanup() {
    restore_hugetlb
    rm -rf "$WORK"
}
trap cleanup EXIT

# Memory cgroups that were removed but are still pinned by cached pages charged to them slow
# every cgroup operation; after a few thousand containers (a CI run) every runtime here took twice
# as long. They go when the page cache is dropped (sync; echo 3 > /proc/sys/vm/drop_caches).
MEMCGS=$(awk '$1 == "memory" { print $3 }' /proc/cgroups)
echo "memory cgroups, removed ones included: $MEMCGS"
if [ "${MEMCGS:-0}" -gt 200 ]; then
    echo "warning: $MEMCGS memory cgroups (most of them removed, not yet freed) slow every runtime down;" \
         "figures are comparable only on a machine without them" >&2
fi

BUNDLE=$WORK/bundle
mkdir -p "$BUNDLE/rootfs/bin"
cp /bin/busybox "$BUNDLE/rootfs/bin/busybox"
ln -s busybox "$BUNDLE/rootfs/bin/true"
(cd "$BUNDLE" && runc spec)
python3 - "$BUNDLE/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
spec["process"]["args"] = ["/bin/true"]
spec["process"]["terminal"] = False
json.dump(spec, open(path, "w"), indent=1)
EOF

unshare -m --propagation private bash -s "$N" "$BUNDLE" "$BERTH" "$WORK" "$MODE" <<'EOF'
set -euo pipefail
N=$1 BUNDLE=$2 BERTH=$3 WORK=$4 MODE=$5
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
if ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi
cd "$BUNDLE"
# $EPOCHREALTIME costs no process, unlike date.
RUNTIMES=(berth-runtime crun runc)
declare -A COMMAND TOTAL
COMMAND=([berth-runtime]="$BERTH" [crun]=crun [runc]=runc)
# Each runtime's stdin is /dev/null: this script itself arrives on bash's stdin.
for name in "${RUNTIMES[@]}"; do ${COMMAND[$name]} --root "$WORK/root-$name" run "warm-$name" >/dev/null </dev/null; TOTAL[$name]=0; done
one() {
    local name=$1 i=$2 start end
    if [ "$MODE" = apart ]; then sleep 0.05; fi
    start=${EPOCHREALTIME/./}
    ${COMMAND[$name]} --root "$WORK/root-$name" run "$name-$i" >/dev/null </dev/null
    end=${EPOCHREALTIME/./}
    TOTAL[$name]=$((TOTAL[$name] + end - start))
}
if [ "$MODE" = interleaved ]; then
    for i in $(seq 1 "$N"); do for name in "${RUNTIMES[@]}"; do one "$name" "$i"; done; done
else
    for name in "${RUNTIMES[@]}"; do for i in $(seq 1 "$N"); do one "$name" "$i"; done; done
fi
for name in "${RUNTIMES[@]}"; do
    awk -v n="$N" -v us="${TOTAL[$name]}" -v name="$name" 'BEGIN { printf "%-14s %7.1f ms per run (%d runs)\n", name, us / n / 1e3, n }'
done
echo "($MODE)"
# Leave no cgroup of ours in hugetlb before its mount goes (see restore_hugetlb).
for _ in 1 2 3 4 5; do
    rmdir /sys/fs/cgroup/hugetlb/*/ 2>/dev/null || true
    [ -z "$(find /sys/fs/cgroup/hugetlb -mindepth 1 -type d)" ] && break
    sleep 0.2
done
umount /sys/fs/cgroup/hugetlb
EOF
