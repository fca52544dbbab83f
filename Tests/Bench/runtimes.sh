#!/bin/bash
# Create, start, wait and delete of /bin/true on one busybox bundle (`<runtime> run`), N times
# each, berth-runtime against runc and crun in the same run. Prints milliseconds per run.
# Usage: Tests/Bench/runtimes.sh [N]   (root; apt-get install busybox-static runc crun)
#
# crun 1.8 refuses a hybrid cgroup host, so every runtime runs in a private mount namespace
# without the cgroup2 mount and with hugetlb mounted as a v1 hierarchy. That moves hugetlb out
# of the unified hierarchy for the whole machine while the mount lives; the script checks that
# it is back in /sys/fs/cgroup/unified/cgroup.controllers at the end.
set -euo pipefail
N=${1:-100}
cd "$(dirname "$0")/../.."
# Built as README.md says to install it: the Swift runtime linked in.
swift build -c release --static-swift-stdlib --product berth-runtime --scratch-path .build-static >/dev/null
BERTH=$PWD/.build-static/release/berth-runtime
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

unshare -m --propagation private bash -s "$N" "$BUNDLE" "$BERTH" "$WORK" <<'EOF'
set -euo pipefail
N=$1 BUNDLE=$2 BERTH=$3 WORK=$4
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
if ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi
cd "$BUNDLE"
measure() {
    local name=$1; shift
    "$@" --root "$WORK/root-$name" run "warm-$name" >/dev/null
    local start end
    start=$(date +%s%N)
    for i in $(seq 1 "$N"); do "$@" --root "$WORK/root-$name" run "$name-$i" >/dev/null; done
    end=$(date +%s%N)
    awk -v n="$N" -v ns=$((end - start)) -v name="$name" 'BEGIN { printf "%-14s %7.1f ms per run (%d runs)\n", name, ns / n / 1e6, n }'
}
measure berth-runtime "$BERTH"
measure crun crun
measure runc runc
# Leave no cgroup of ours in hugetlb before its mount goes (see restore_hugetlb).
for _ in 1 2 3 4 5; do
    rmdir /sys/fs/cgroup/hugetlb/*/ 2>/dev/null || true
    [ -z "$(find /sys/fs/cgroup/hugetlb -mindepth 1 -type d)" ] && break
    sleep 0.2
done
umount /sys/fs/cgroup/hugetlb
EOF
