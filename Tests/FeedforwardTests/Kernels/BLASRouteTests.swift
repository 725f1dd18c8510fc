import Testing
@testable import Feedforward

/// The route's decision logic, fed core names and timings rather than this machine's BLAS and CPU.
@Suite struct BLASRouteTests {
    @Test func genericOpenBLASCoresAreGenericOnAVX2AndAVX512CPUs() {
        for core in ["Prescott", "Katmai", "Core2", "Nehalem", "Penryn", "Atom", "Barcelona", "prescott"] {
            #expect(BLASCoreClass(core: core, cpu: .avx512) == .generic, "\(core)")
            #expect(BLASCoreClass(core: core, cpu: .avx2) == .generic, "\(core)")
            // Without AVX2 the built-in kernel is portable C: an SSE core is the right one there.
            #expect(BLASCoreClass(core: core, cpu: .portable) == .matches, "\(core)")
        }
    }

    @Test func everyCoreButTheGenericOneIsCalibrated() {
        #expect(BLASCoreClass(core: "Haswell", cpu: .avx512) == .narrower)
        #expect(BLASCoreClass(core: "Zen", cpu: .avx512) == .narrower)
        #expect(BLASCoreClass(core: "Sandybridge", cpu: .avx2) == .narrower)
        #expect(BLASCoreClass.narrower.needsCalibration)
        #expect(BLASCoreClass.matches.needsCalibration)
        #expect(BLASCoreClass.unknown.needsCalibration)
        #expect(!BLASCoreClass.generic.needsCalibration)
    }

    @Test func coresForTheCPUsVectorsMatch() {
        for core in ["SkylakeX", "Cooperlake", "SapphireRapids"] {
            #expect(BLASCoreClass(core: core, cpu: .avx512) == .matches, "\(core)")
        }
        #expect(BLASCoreClass(core: "Haswell", cpu: .avx2) == .matches)
        #expect(BLASCoreClass(core: "Zen", cpu: .avx2) == .matches)
        #expect(BLASCoreClass(core: "SkylakeX", cpu: .avx2) == .matches)
    }

    @Test func unknownCoresAndOtherLibrariesAreCalibrated() {
        for core in [nil, "", "NEOVERSEN1", "SomeFutureLake"] as [String?] {
            let coreClass = BLASCoreClass(core: core, cpu: .avx512)
            #expect(coreClass == .unknown, "\(String(describing: core))")
            #expect(coreClass.needsCalibration)
        }
    }

    @Test func genericCoreIsNeverUsedWhateverTheTimings() {
        let route = BLASRoute(isLoaded: true, coreClass: .generic,
                              calibration: .init(blasRate: 500, builtinRate: 1))
        #expect(route.reason == .genericCore)
        #expect(!route.usesBLAS)
    }

    @Test func calibrationUsesBLASOnlyWhenClearlyFaster() {
        let margin = BLASRoute.calibrationMargin
        for coreClass in [BLASCoreClass.matches, .narrower, .unknown] {
            let faster = BLASRoute(isLoaded: true, coreClass: coreClass,
                                   calibration: .init(blasRate: 100 * margin, builtinRate: 100))
            #expect(faster.reason == .calibratedFaster && faster.usesBLAS)
            // Faster, but within the margin: the built-in kernel keeps the products (and the bits stable).
            let close = BLASRoute(isLoaded: true, coreClass: coreClass,
                                  calibration: .init(blasRate: 100 * margin - 0.5, builtinRate: 100))
            #expect(close.reason == .calibratedSlower && !close.usesBLAS)
            // The Intel machine of issue 14: a generic core's SGEMM at 25 GFLOP/s against 110.
            let slow = BLASRoute(isLoaded: true, coreClass: coreClass,
                                 calibration: .init(blasRate: 25, builtinRate: 110))
            #expect(slow.reason == .calibratedSlower && !slow.usesBLAS)
        }
    }

    @Test func environmentOverridesTheDecision() {
        let chosen = BLASRoute(isLoaded: true, isChosenByEnvironment: true, coreClass: .generic,
                               calibration: .init(blasRate: 1, builtinRate: 100))
        #expect(chosen.reason == .chosenByEnvironment && chosen.usesBLAS)
        let disabled = BLASRoute(isLoaded: false, isDisabled: true, coreClass: .unknown)
        #expect(disabled.reason == .disabledByEnvironment && !disabled.usesBLAS)
        let none = BLASRoute(isLoaded: false, coreClass: .unknown)
        #expect(none.reason == .noneLoaded && !none.usesBLAS)
    }

    /// This process's configuration is consistent with what it reports.
    @Test func configurationDescribesThisProcess() {
        let configuration = ComputeEnvironment.configuration
        #expect(!configuration.cpuModel.isEmpty)
        #expect(configuration.kernelVariant.isSupported)
        #expect(configuration.threadCount >= 1)
        #expect((configuration.blas == nil) == (ComputeEnvironment.blasLibrary == nil))
        if configuration.blas == nil { #expect(!configuration.route.usesBLAS) }
        if let core = configuration.blas?.core, configuration.route.reason != .chosenByEnvironment {
            // The route's reason follows from the core's class on this CPU.
            let coreClass = BLASCoreClass(core: core, cpu: .widestSupported)
            #expect((configuration.route.reason == .genericCore) == (coreClass == .generic))
            #expect((configuration.route.calibration != nil) == coreClass.needsCalibration)
        }
        #expect(configuration.description.contains("route: "))
    }
}
