#include "CFeedforwardKernels.h"
