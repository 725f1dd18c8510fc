import CFeedforwardKernels

/// The BLAS library loaded at run time, as it describes itself.
public struct BLASLibrary: Sendable, Hashable {
    /// The name or path it was loaded by (for example `libopenblas.so.0`).
    public var path: String
    /// `OpenBLAS`, `BLIS`, `Accelerate`, or `CBLAS` when the library does not identify itself.
    public var vendor: String
    /// Its version where it reports one (OpenBLAS, BLIS), else `nil`.
    public var version: String?
    /// OpenBLAS's kernel set for this CPU (`openblas_get_corename()`, for example `Haswell` or the
    /// generic `Prescott`), else `nil`.
    public var core: String?
    /// OpenBLAS's build configuration (`openblas_get_config()`), else `nil`.
    public var configuration: String?

    /// The library in use, or `nil` when none is loaded.
    static var loaded: BLASLibrary? {
        guard let path = ff_blas_name() else { return nil }
        func text(_ pointer: UnsafePointer<CChar>?) -> String? {
            guard let pointer else { return nil }
            let value = String(cString: pointer)
            return value.isEmpty ? nil : value
        }
        return BLASLibrary(path: String(cString: path), vendor: text(ff_blas_vendor()) ?? "CBLAS",
                           version: text(ff_blas_version()), core: text(ff_blas_core()),
                           configuration: text(ff_blas_config()))
    }
}

/// How a BLAS library's kernels compare with the CPU's widest vector instructions.
public enum BLASCoreClass: Sendable, Hashable {
    /// Kernels for this CPU's widest vectors, or wider.
    case matches
    /// Kernels for narrower vectors (for example OpenBLAS's `Haswell` AVX2 kernels on an AVX-512 CPU).
    case narrower
    /// A generic SSE fallback (for example `Prescott`, which Debian's OpenBLAS 0.3.21 picks on CPUs it
    /// does not know) on a CPU with AVX2 or AVX-512.
    case generic
    /// Not a core the table knows, or a library other than OpenBLAS.
    case unknown

    init(_ value: ff_blas_core_class) {
        switch value {
        case FF_BLAS_CORE_MATCHES: self = .matches
        case FF_BLAS_CORE_NARROWER: self = .narrower
        case FF_BLAS_CORE_GENERIC: self = .generic
        default: self = .unknown
        }
    }

    var cValue: ff_blas_core_class {
        switch self {
        case .matches: return FF_BLAS_CORE_MATCHES
        case .narrower: return FF_BLAS_CORE_NARROWER
        case .generic: return FF_BLAS_CORE_GENERIC
        case .unknown: return FF_BLAS_CORE_UNKNOWN
        }
    }

    /// Classifies an OpenBLAS core name (`nil` for other libraries) for a CPU whose widest built-in
    /// kernel variant is `cpu`.
    public init(core: String?, cpu: KernelVariant) {
        self = BLASCoreClass(ff_blas_classify_core(core, cpu.cValue))
    }

    /// Whether a library with a core of this class is timed against the built-in kernel: every class
    /// but ``generic``, which is never used on a CPU with AVX2 or wider.
    public var needsCalibration: Bool {
        ff_blas_core_needs_calibration(cValue) != 0
    }
}

/// Whether the automatic backend (``MatrixMultiplyBackend/automatic``) sends products to the loaded
/// BLAS at all, and why. Decided once per process, on first use: a generic fallback core on a CPU with
/// AVX2 or wider is never used; any other library is used only if one 192 x 192 x 192 `Float` product
/// on one thread runs at least ``calibrationMargin`` times as fast on it as on the built-in kernel
/// (timed on both, a few milliseconds). Within a route that uses BLAS, each product still goes to
/// the built-in kernel where its shape runs faster there. `FEEDFORWARD_BLAS` overrides the decision.
public struct BLASRoute: Sendable, Hashable {
    /// Why BLAS is or is not used.
    public enum Reason: Sendable, Hashable {
        /// No BLAS library was found.
        case noneLoaded
        /// `FEEDFORWARD_BLAS=none` turned BLAS off.
        case disabledByEnvironment
        /// `FEEDFORWARD_BLAS` named the library: used as chosen.
        case chosenByEnvironment
        /// A generic fallback core on a CPU with AVX2 or wider: the built-in kernel is faster.
        case genericCore
        /// Timed faster than the built-in kernel by at least the margin.
        case calibratedFaster
        /// Timed no faster than the built-in kernel plus the margin.
        case calibratedSlower

        init(_ value: ff_blas_route_reason) {
            switch value {
            case FF_BLAS_ROUTE_DISABLED: self = .disabledByEnvironment
            case FF_BLAS_ROUTE_CHOSEN: self = .chosenByEnvironment
            case FF_BLAS_ROUTE_GENERIC_CORE: self = .genericCore
            case FF_BLAS_ROUTE_CALIBRATED_FASTER: self = .calibratedFaster
            case FF_BLAS_ROUTE_CALIBRATED_SLOWER: self = .calibratedSlower
            default: self = .noneLoaded
            }
        }

        var cValue: ff_blas_route_reason {
            switch self {
            case .noneLoaded: return FF_BLAS_ROUTE_NONE_LOADED
            case .disabledByEnvironment: return FF_BLAS_ROUTE_DISABLED
            case .chosenByEnvironment: return FF_BLAS_ROUTE_CHOSEN
            case .genericCore: return FF_BLAS_ROUTE_GENERIC_CORE
            case .calibratedFaster: return FF_BLAS_ROUTE_CALIBRATED_FASTER
            case .calibratedSlower: return FF_BLAS_ROUTE_CALIBRATED_SLOWER
            }
        }
    }

    /// How much faster than the built-in kernel a calibrated BLAS must run to be used (a margin keeps
    /// a close race from flipping between runs, which would change the bits).
    public static let calibrationMargin = FF_BLAS_CALIBRATION_MARGIN

    /// Single-thread `Float` rates of the calibration product, in GFLOP/s.
    public struct Calibration: Sendable, Hashable {
        /// The loaded BLAS's rate.
        public var blasRate: Double
        /// The built-in kernel's rate.
        public var builtinRate: Double

        /// Rates in GFLOP/s.
        public init(blasRate: Double, builtinRate: Double) {
            self.blasRate = blasRate
            self.builtinRate = builtinRate
        }
    }

    /// Why BLAS is or is not used.
    public var reason: Reason
    /// The calibration's rates, or `nil` when the decision needed no calibration.
    public var calibration: Calibration?

    /// Whether the automatic backend uses BLAS.
    public var usesBLAS: Bool {
        ff_blas_route_uses_blas(reason.cValue) != 0
    }

    /// The decision from its inputs, without loading or timing anything (rates in GFLOP/s, consulted
    /// only for core classes that need calibration).
    public init(isLoaded: Bool, isDisabled: Bool = false, isChosenByEnvironment: Bool = false,
                coreClass: BLASCoreClass, calibration: Calibration? = nil) {
        let rates = calibration ?? Calibration(blasRate: 0, builtinRate: 0)
        reason = Reason(ff_blas_route_decide(isLoaded ? 1 : 0, isDisabled ? 1 : 0, isChosenByEnvironment ? 1 : 0,
                                             coreClass.cValue, rates.blasRate, rates.builtinRate))
        self.calibration = calibration
    }

    init(reason: Reason, calibration: Calibration?) {
        self.reason = reason
        self.calibration = calibration
    }

    /// This process's decision (made on first use).
    static var current: BLASRoute {
        let reason = Reason(ff_blas_route())
        var blas = 0.0, builtin = 0.0
        ff_blas_route_calibration(&blas, &builtin)
        let calibration = blas > 0 || builtin > 0 ? Calibration(blasRate: blas, builtinRate: builtin) : nil
        return BLASRoute(reason: reason, calibration: calibration)
    }
}
