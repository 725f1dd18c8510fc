#!/usr/bin/env python3
"""Prints reference outputs of xoshiro256** seeded with SplitMix64, written from the published
definitions (https://prng.di.unimi.it/xoshiro256starstar.c, splitmix64.c) for SeededGeneratorTests."""
M = (1 << 64) - 1


def splitmix64(seed):
    x = seed
    while True:
        x = (x + 0x9E3779B97F4A7C15) & M
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        yield z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


def xoshiro(state):
    s = list(state)
    while True:
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        yield result


for seed in (0, 42):
    sm = splitmix64(seed)
    state = [next(sm) for _ in range(4)]
    g = xoshiro(state)
    print(f"seed {seed}: state {[hex(v) for v in state]}")
    print("  outputs", [hex(next(g)) for _ in range(5)])
