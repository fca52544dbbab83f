# Sourced by the benchmark scripts: a work directory, and the clean-up that stops berthd and
# dockerd and undoes what dockerd's defaults do to the host (a docker0 bridge, iptables rules).
# Usage: WORK=$(mktemp -d …); . Tests/Bench/daemons.sh
HAD_DOCKER0=$(ip link show docker0 >/dev/null 2>&1 && echo yes || echo no)
command -v iptables-save >/dev/null && iptables-save > "$WORK/iptables.rules" 2>/dev/null || true
cleanup() {
    pkill -F "$WORK/berthd.pid" 2>/dev/null || true
    pkill -F "$WORK/dockerd.pid" 2>/dev/null || true
    sleep 2
    if [ -s "$WORK/iptables.rules" ]; then iptables-restore < "$WORK/iptables.rules" 2>/dev/null || true; fi
    if [ "$HAD_DOCKER0" = no ]; then ip link delete docker0 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Waits until a daemon answers /_ping on the unix socket $1 (up to 30 s).
wait_for() {
    for _ in $(seq 1 150); do
        [ -S "$1" ] && curl -sf --unix-socket "$1" http://x/_ping >/dev/null && return 0
        sleep 0.2
    done
    echo "no answer on $1" >&2
    return 1
}
