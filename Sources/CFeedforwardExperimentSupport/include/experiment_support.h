#ifndef FEEDFORWARD_EXPERIMENT_SUPPORT_H
#define FEEDFORWARD_EXPERIMENT_SUPPORT_H

#include <stddef.h>

/// Bytes currently allocated through malloc (in-use arena bytes plus mmapped chunks), or -1 where
/// the C library cannot say. Used by the backprop-cost experiment to measure what the graph holds.
long long feedforward_experiment_allocated_bytes(void);

#endif
