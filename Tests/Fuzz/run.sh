#!/usr/bin/env bash
# Fuzzes the HTTP parser (or, with `json`, BerthCore's JSON reader and writer) with libFuzzer for
# N seconds (default 60).
# Usage: Tests/Fuzz/run.sh [seconds] [http|json]
# New inputs go to a scratch corpus under .build-fuzz/; a crash leaves crash-* files there: turn
# each into a regression test (Tests/BerthHTTPTests, Tests/BerthCoreTests) before fixing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-60}
TARGET=${2:-http}
WORK=.build-fuzz/$TARGET
mkdir -p "$WORK/src" "$WORK/corpus"
rm -f "$WORK"/src/*.swift
# The sources under test, compiled as one module with the fuzz entry (module imports stripped).
case "$TARGET" in
    http) SOURCES="Sources/BerthHTTP/*.swift Sources/BerthSync/*.swift Tests/Fuzz/FuzzHTTPParser.swift" SEEDS=Tests/Fuzz/corpus ;;
    json) SOURCES="Sources/BerthCore/JSON*.swift Tests/Fuzz/FuzzJSONReader.swift" SEEDS=Tests/Fuzz/corpus-json ;;
    *) echo "target: http or json" >&2; exit 2 ;;
esac
for f in $SOURCES; do
    sed '/^import BerthSync$/d' "$f" > "$WORK/src/$(basename "$f")"
done
swiftc -parse-as-library -O -g -sanitize=fuzzer,address -module-name "Berth${TARGET}Fuzz" "$WORK"/src/*.swift -o "$WORK/fuzz"
cd "$WORK"
./fuzz -max_total_time="$SECONDS_TO_RUN" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 corpus "../../$SEEDS"
