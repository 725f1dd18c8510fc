#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (with AddressSanitizer) and runs each for a bounded time on
# its committed seed corpus. Usage: scripts/fuzz.sh [seconds-per-target] [target...]
# FUZZ_WORKERS=N runs N fuzzing processes per target (default 1); their executions add up.
# FUZZ_SKIP_BUILD=1 runs the targets as last built; FUZZ_RESOLVE_ONLY=1 only resolves the fuzz
# package's dependencies (a quick check that the package loads from this checkout) and exits.
# Findings (crash-*, oom-*, timeout-* files) are written to fuzz/artifacts/<target>/; new inputs
# the fuzzer finds go to a scratch corpus under .build-fuzz/, not the committed seeds (copy the
# interesting ones into fuzz/corpus/<target> by hand, or merge with -merge=1).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd -P)"
cd "$root/fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzIDX FuzzCSVReader FuzzCSV FuzzSafeTensors FuzzCheckpoint FuzzArguments); fi

# SwiftPM names a package after its folder, so in a checkout folder named `fuzz` the package in fuzz/
# and the Feedforward package it depends on would share the identity `fuzz` and fail to load. The
# build therefore runs on a copy of fuzz/Package.swift and fuzz/Sources in a folder of its own name,
# told where the checkout is by FEEDFORWARD_CHECKOUT (see fuzz/Package.swift).
scratch="$root/.build-fuzz"
package="$scratch/FeedforwardFuzz"
mkdir -p "$package"
cp -Rp Package.swift Sources "$package/"
export FEEDFORWARD_CHECKOUT="$root"
swiftpm=(--package-path "$package" --scratch-path "$scratch")
if [ -n "${FUZZ_RESOLVE_ONLY:-}" ]; then
    swift package "${swiftpm[@]}" resolve
    swift package "${swiftpm[@]}" show-dependencies
    exit 0
fi
if [ -z "${FUZZ_SKIP_BUILD:-}" ]; then
    swift build -c release "${swiftpm[@]}" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=fuzzer-no-link,address
fi
bin="$(swift build -c release "${swiftpm[@]}" --show-bin-path)"

status=0
for target in "${targets[@]}"; do
    seeds="corpus/${target#Fuzz}"
    work="$scratch/corpus/$target"
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
