#!/usr/bin/env bash
# Checks that scripts/fuzz.sh loads the fuzz package from a checkout folder named `fuzz` (where the
# package in fuzz/ and the Feedforward package would otherwise share the identity `fuzz`): copies the
# checkout's files (tracked, and untracked but not ignored) into a temporary folder named `fuzz` and
# resolves the fuzz package's dependencies there (FUZZ_RESOLVE_ONLY=1: no build).
# Usage: scripts/check_fuzz_script.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/fuzz"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$work/fuzz"
if FUZZ_RESOLVE_ONLY=1 "$work/fuzz/scripts/fuzz.sh" >"$work/log" 2>&1; then
    echo "ok: scripts/fuzz.sh resolves the fuzz package in a checkout named fuzz"
else
    cat "$work/log"
    echo "FAIL: scripts/fuzz.sh cannot load the fuzz package in a checkout named fuzz"
    exit 1
fi
