// libFuzzer's driver entry point (compiler-rt, LLVM 11 and later).
//
// SwiftPM links every executable target with `main` aliased to `<Target>_main`, which would hide
// libFuzzer's own `main`; so each fuzz target defines `<Target>_main` and hands over to the driver.
#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
