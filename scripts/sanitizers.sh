#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer (with LeakSanitizer) and ThreadSanitizer, each in
# its own build folder so the normal debug build is untouched. Each is a full rebuild.
# Usage: scripts/sanitizers.sh [address|thread]...   (both when none is named)
set -euo pipefail
cd "$(dirname "$0")/.."
kinds=("$@")
if [ ${#kinds[@]} -eq 0 ]; then kinds=(address thread); fi

for kind in "${kinds[@]}"; do
    case "$kind" in
        address) scratch=.build-asan ;;
        thread) scratch=.build-tsan ;;
        *) echo "unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;;
    esac
    start=$(date +%s)
    echo "== building the tests with --sanitize=$kind in $scratch"
    swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
    built=$(date +%s)
    echo "== swift test --sanitize=$kind"
    # Stop at the first report, so a finding fails the run rather than scrolling past. The buffer pool
    # is off so that each tensor buffer is freed when its tensor dies and ASan sees any later use.
    FEEDFORWARD_BUFFER_POOL=off \
    ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}" \
    LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-suppressions.txt}" \
    TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}" \
        swift test --skip-build --sanitize="$kind" --scratch-path "$scratch"
    echo "== $kind: build $((built - start)) s, tests $(($(date +%s) - built)) s"
done
