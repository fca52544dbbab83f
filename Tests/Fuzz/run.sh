#!/usr/bin/env bash
# Fuzzes the HTTP parser with libFuzzer for N seconds (default 60).
# Usage: Tests/Fuzz/run.sh [seconds]
# New inputs go to a scratch corpus under .build-fuzz/; a crash leaves crash-* files there: turn
# each into a regression test in Tests/BerthHTTPTests before fixing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-60}
WORK=.build-fuzz
mkdir -p "$WORK/src" "$WORK/corpus"
rm -f "$WORK"/src/*.swift
# The parser sources, compiled as one module with the fuzz entry (module imports stripped).
for f in Sources/BerthHTTP/*.swift Sources/BerthSync/*.swift Tests/Fuzz/FuzzHTTPParser.swift; do
    sed '/^import BerthSync$/d' "$f" > "$WORK/src/$(basename "$f")"
done
swiftc -parse-as-library -O -g -sanitize=fuzzer,address -module-name BerthHTTPFuzz "$WORK"/src/*.swift -o "$WORK/fuzz-http-parser"
cd "$WORK"
./fuzz-http-parser -max_total_time="$SECONDS_TO_RUN" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 corpus ../Tests/Fuzz/corpus
