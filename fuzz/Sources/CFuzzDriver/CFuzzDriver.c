// The declarations in include/CFuzzDriver.h are defined by libFuzzer; this target only exports them to Swift.
#include "CFuzzDriver.h"
