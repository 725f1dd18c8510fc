import CFeedforwardKernels

/// A variant of the built-in matrix-multiply kernel: the same micro-kernel source compiled for one set
/// of vector instructions, with a register tile (and packing) sized for it.
///
/// The built-in kernel runs the widest variant the CPU supports (``ComputeEnvironment/kernelVariant``).
/// ``avx2`` and ``avx512`` sum every element in the same order with fused multiply-adds, so they give
/// the same bits; ``portable`` rounds each multiply and add separately.
public enum KernelVariant: String, Sendable, Hashable, CaseIterable {
    /// Plain C vectors for the baseline target: any CPU.
    case portable
    /// AVX2 and FMA, 256-bit vectors, 6 x 16 (`Float`) and 6 x 8 (`Double`) tiles.
    case avx2
    /// AVX-512F, 512-bit vectors, 12 x 32 (`Float`) and 12 x 16 (`Double`) tiles.
    case avx512
    /// The AVX-512 variant's tile and vector code compiled for AVX2 and FMA: never chosen
    /// automatically; lets a machine without AVX-512 test the wide tile's logic.
    case avx512TileOnAVX2 = "avx512-tile-on-avx2"

    init(_ value: ff_kernel_variant) {
        switch value {
        case FF_KERNEL_AVX2: self = .avx2
        case FF_KERNEL_AVX512: self = .avx512
        case FF_KERNEL_WIDE_TILE_AVX2: self = .avx512TileOnAVX2
        default: self = .portable
        }
    }

    var cValue: ff_kernel_variant {
        switch self {
        case .portable: return FF_KERNEL_PORTABLE
        case .avx2: return FF_KERNEL_AVX2
        case .avx512: return FF_KERNEL_AVX512
        case .avx512TileOnAVX2: return FF_KERNEL_WIDE_TILE_AVX2
        }
    }

    /// Width in bits of the vector instructions the variant is compiled for (`nil` for portable: the
    /// compiler's baseline for the platform).
    public var vectorBits: Int? {
        let bits = Int(ff_kernel_variant_vector_bits(cValue))
        return bits > 0 ? bits : nil
    }

    /// Whether this CPU can run the variant.
    public var isSupported: Bool {
        ff_kernel_variant_supported(cValue) != 0
    }

    /// The widest variant this CPU runs.
    public static var widestSupported: KernelVariant {
        KernelVariant(ff_cpu_widest_kernel_variant())
    }
}
