import Foundation
import Testing
@testable import Feedforward

@Suite("Layers: model serialization") struct ModelSerializationTests {
    func makeModel<S: TensorScalar>(_: S.Type, seed: UInt64) -> Sequential<S> {
        var generator = SeededRandomNumberGenerator(seed: seed)
        return Sequential<S> {
            Dense<S>(inputSize: 3, outputSize: 4, activation: .relu, generator: &generator)
            Residual(Dense<S>(inputSize: 4, outputSize: 4, activation: .tanh, generator: &generator))
            Dense<S>(inputSize: 4, outputSize: 2, generator: &generator)
        }
    }

    func bitPatterns(_ model: some Layer<Float>) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.value.scalars.map(\.bitPattern)) })
    }

    @Test func roundTripIsBitExact() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("model.safetensors")
        let model = makeModel(Float.self, seed: 1)
        try model.saveParameters(to: url, metadata: ["epoch": "7"])
        var loaded = makeModel(Float.self, seed: 2)
        #expect(bitPatterns(loaded) != bitPatterns(model))
        try loaded.loadParameters(from: url)
        #expect(bitPatterns(loaded) == bitPatterns(model))
        let file = try SafeTensors.read(contentsOf: url)
        #expect(file.metadata == ["epoch": "7"])
        #expect(Set(file.tensors.keys) == ["0.weight", "0.bias", "1.body.weight", "1.body.bias", "2.weight", "2.bias"])
        #expect(file.tensors["0.weight"]?.dtype == .float32 && file.tensors["0.weight"]?.shape == [4, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["model.safetensors"])
        // The loaded model computes exactly what the saved one did.
        let x = Tensor<Float>(shape: [2, 3], scalars: [0.1, -0.2, 0.3, 1, 2, -3])
        #expect(loaded(x) == model(x))
    }

    @Test func extraTensorsAreRefusedUnlessNotStrict() throws {
        let model = makeModel(Float.self, seed: 1)
        var file = model.safeTensorsFile()
        file.tensors["optimizer.momentum.0.weight"] = SafeTensorsEntry(shape: [4, 3], floats: Array(repeating: 0, count: 12))
        var target = makeModel(Float.self, seed: 2)
        let before = bitPatterns(target)
        #expect(throws: ParameterLoadingError.unexpected(names: ["optimizer.momentum.0.weight"])) {
            try target.loadParameters(from: file)
        }
        #expect(bitPatterns(target) == before)
        try target.loadParameters(from: file, strict: false)
        #expect(bitPatterns(target) == bitPatterns(model))
    }

    @Test func doubleRoundTripAndCrossPrecision() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("double.safetensors")
        let model = makeModel(Double.self, seed: 3)
        try model.saveParameters(to: url)
        #expect(try SafeTensors.read(contentsOf: url).tensors["2.weight"]?.dtype == .float64)
        #expect(try SafeTensors.read(contentsOf: url).metadata == nil)
        var same = makeModel(Double.self, seed: 4)
        try same.loadParameters(from: url)
        for (a, b) in zip(same.parameters, model.parameters) {
            #expect(a.value.scalars.map(\.bitPattern) == b.value.scalars.map(\.bitPattern))
        }
        // F64 into a Float model rounds to nearest.
        var single = makeModel(Float.self, seed: 5)
        try single.loadParameters(from: url)
        for (a, b) in zip(single.parameters, model.parameters) {
            #expect(a.value.scalars == b.value.scalars.map { Float($0) })
        }
        // F32 into a Double model widens exactly.
        let floatURL = dir.url.appendingPathComponent("float.safetensors")
        try single.saveParameters(to: floatURL)
        var widened = makeModel(Double.self, seed: 6)
        try widened.loadParameters(from: floatURL)
        for (a, b) in zip(widened.parameters, single.parameters) {
            #expect(a.value.scalars == b.value.scalars.map { Double($0) })
        }
    }

    @Test func halfPrecisionEntriesLoadThroughFloat() throws {
        // F16 [1, -2, 2⁻²⁴] and BF16 [1.5, 1.5].
        let half = SafeTensorsEntry(dtype: .float16, shape: [3], bytes: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00])
        let brain = SafeTensorsEntry(dtype: .bfloat16, shape: [2], bytes: [0xC0, 0x3F, 0xC0, 0x3F])
        #expect(Tensor<Float>(safeTensorsEntry: half)?.scalars == [1, -2, 0x1p-24])
        #expect(Tensor<Double>(safeTensorsEntry: half)?.scalars == [1, -2, 0x1p-24])
        var layer = Dense<Double>(weight: .zeros(shape: [1, 3]), bias: .zeros(shape: [1]))
        try layer.loadParameters(from: SafeTensorsFile(tensors: [
            "weight": SafeTensorsEntry(dtype: .float16, shape: [1, 3], bytes: half.bytes),
            "bias": SafeTensorsEntry(dtype: .bfloat16, shape: [1], bytes: [0xC0, 0x3F]),
        ]))
        #expect(layer.weight.scalars == [1, -2, 0x1p-24] && layer.bias?.scalars == [1.5])
        #expect(Tensor<Float>(safeTensorsEntry: brain)?.shape == [2])
        #expect(Tensor<Float>(safeTensorsEntry: SafeTensorsEntry(dtype: .int32, shape: [1], bytes: [1, 0, 0, 0])) == nil)
    }

    @Test func missingMisshapedAndIntegerParametersThrowNamedErrors() throws {
        let dir = try TemporaryDirectory()
        let model = makeModel(Float.self, seed: 1)
        var file = model.safeTensorsFile()

        var missing = file
        missing.tensors["1.body.bias"] = nil
        let missingURL = dir.url.appendingPathComponent("missing.safetensors")
        try SafeTensors.write(missing, to: missingURL)
        var target = makeModel(Float.self, seed: 2)
        let before = target.parameters.map(\.value)
        #expect(throws: ParameterLoadingError.missing(name: "1.body.bias")) { try target.loadParameters(from: missingURL) }
        #expect(target.parameters.map(\.value) == before, "a failed load must leave the model unchanged")

        var misshaped = file
        misshaped.tensors["2.weight"] = SafeTensorsEntry(shape: [4, 2], floats: Array(repeating: 0, count: 8))
        let misshapedURL = dir.url.appendingPathComponent("misshaped.safetensors")
        try SafeTensors.write(misshaped, to: misshapedURL)
        do {
            try target.loadParameters(from: misshapedURL)
            Issue.record("expected a shape mismatch")
        } catch let error as ParameterLoadingError {
            #expect(error == .shapeMismatch(name: "2.weight", expected: [2, 4], actual: [4, 2]))
            #expect(error.description == "parameter '2.weight' has shape [4, 2], the model needs [2, 4]")
        }
        #expect(target.parameters.map(\.value) == before)

        file.tensors["0.bias"] = SafeTensorsEntry(dtype: .int32, shape: [4], bytes: Array(repeating: 0, count: 16))
        #expect(throws: ParameterLoadingError.unsupportedDataType(name: "0.bias", dtype: "I32")) { try target.loadParameters(from: file) }
        #expect(throws: ParameterLoadingError.unsupportedDataType(name: "0.bias", dtype: "I32")) {
            try Sequential<Float>.parameterDictionary(from: file)
        }

        // Extra tensors (optimizer state, a step counter) are refused, or ignored by a non-strict load.
        var extra = model.safeTensorsFile()
        extra.tensors["step"] = SafeTensorsEntry(dtype: .int64, shape: [], bytes: Array(repeating: 0, count: 8))
        #expect(throws: ParameterLoadingError.unexpected(names: ["step"])) { try target.loadParameters(from: extra) }
        try target.loadParameters(from: extra, strict: false)
        #expect(target.parameters.map(\.value) == model.parameters.map(\.value))

        // A file that is not safetensors is a DataError.
        let garbage = try dir.file("garbage.safetensors", [1, 2, 3])
        expectDataError(.truncated) { try target.loadParameters(from: garbage) }
        expectDataError(.io) { try target.loadParameters(from: dir.url.appendingPathComponent("absent.safetensors")) }
    }

    @Test func loadsTheFixtureWrittenByPython() throws {
        let file = try SafeTensors.read(contentsOf: fixtureURL("fixture.safetensors"))
        var floating = file
        floating.tensors["labels"] = nil
        let doubles = try Dense<Double>.parameterDictionary(from: floating)
        #expect(Set(doubles.keys) == ["scalar", "vector", "matrix", "cube"])
        #expect(doubles["scalar"]?.shape == [] && doubles["scalar"]?.scalar == 3.5)
        #expect(doubles["vector"] == Tensor<Double>([1, -2, 0.25]))
        #expect(doubles["matrix"] == Tensor<Double>(shape: [2, 3], scalars: [0, 0.25, 0.5, 0.75, 1, 1.25]))
        #expect(doubles["cube"] == Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map { (Double($0) - 12) * 0.5 }))
        let floats = try Dense<Float>.parameterDictionary(from: floating)
        #expect(floats["matrix"]?.scalars == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(floats["cube"]?.shape == [2, 3, 4])
        #expect(throws: ParameterLoadingError.unsupportedDataType(name: "labels", dtype: "I64")) {
            try Dense<Float>.parameterDictionary(from: file)
        }
        // The F32 "matrix" of shape [2, 3] is a valid Dense weight [out: 2, in: 3].
        var layer = Dense<Double>(weight: .zeros(shape: [2, 3]), bias: nil)
        try layer.loadParameters(from: SafeTensorsFile(tensors: ["weight": file.tensors["matrix"]!]))
        #expect(layer.weight == doubles["matrix"]!)
    }

    /// Writes a Dense model for scripts/check_torch_interop.py when FEEDFORWARD_MODEL_EXPORT is set.
    @Test func exportForPythonInterop() throws {
        guard let path = ProcessInfo.processInfo.environment["FEEDFORWARD_MODEL_EXPORT"] else { return }
        var generator = SeededRandomNumberGenerator(seed: 2024)
        let model = Sequential<Float> {
            Dense<Float>(inputSize: 3, outputSize: 5, activation: .relu, generator: &generator)
            Dense<Float>(inputSize: 5, outputSize: 2, generator: &generator)
        }
        try model.saveParameters(to: URL(fileURLWithPath: path), metadata: ["format": "pt"])
        // The input and output for the Python side to reproduce.
        let x = Tensor<Float>(shape: [2, 3], scalars: [0.5, -1, 2, 0.25, 0.75, -0.5])
        let y = model(x)
        try SafeTensors.write(
            SafeTensorsFile(tensors: ["x": x.safeTensorsEntry, "y": y.safeTensorsEntry]),
            to: URL(fileURLWithPath: path + ".io"))
    }
}
