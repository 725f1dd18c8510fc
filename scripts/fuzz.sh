#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (with AddressSanitizer) and runs each for a bounded time on
# its committed seed corpus. Usage: scripts/fuzz.sh [seconds-per-target] [target...]
# FUZZ_WORKERS=N runs N fuzzing processes per target (default 1); their executions add up.
# Findings (crash-*, oom-*, timeout-* files) are written to fuzz/artifacts/<target>/; new inputs
# the fuzzer finds go to a scratch corpus under .build-fuzz/, not the committed seeds (copy the
# interesting ones into fuzz/corpus/<target> by hand, or merge with -merge=1).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzIDX FuzzCSVReader FuzzCSV FuzzSafeTensors FuzzCheckpoint FuzzArguments); fi

# FUZZ_SKIP_BUILD=1 runs the targets as last built.
if [ -z "${FUZZ_SKIP_BUILD:-}" ]; then
    swift build -c release --scratch-path ../.build-fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=fuzzer-no-link,address
fi
bin="$(swift build -c release --scratch-path ../.build-fuzz --show-bin-path)"

status=0
for target in "${targets[@]}"; do
    seeds="corpus/${target#Fuzz}"
    work="../.build-fuzz/corpus/$target"
    artifacts="artifacts/$target"
    mkdir -p "$work" "$artifacts"
    echo "== $target: ${seconds}s on $seeds"
    # -rss_limit_mb catches allocations beyond an input's size; -max_len keeps inputs small.
    workers="${FUZZ_WORKERS:-1}"
    rm -f "$work".*.log
    pids=()
    for w in $(seq 1 "$workers"); do
        "$bin/$target" "$work" "$seeds" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=8192 \
            -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" -seed="$w" 2>"$work.$w.log" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then
            status=1
            echo "   FINDING: see $artifacts/ and $work.$((i + 1)).log"
        fi
    done
    total=$(cat "$work".*.log | awk '/stat::number_of_executed_units/ { n += $NF } END { print n + 0 }')
    echo "   executions: $total in ${seconds}s x $workers worker(s)"
    grep -h "stat::peak_rss_mb" "$work".*.log | sed 's/^/   /' || true
done
exit $status
