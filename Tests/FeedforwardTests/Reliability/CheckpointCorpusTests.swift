import Foundation
import Testing
@testable import Feedforward

/// Malformed checkpoints: each must fail with a typed error (`DataError` for a broken container,
/// `CheckpointError` for a broken checkpoint) that names the file, quickly, without building a model
/// larger than the file could hold.
@Suite("Reliability: malformed checkpoints") struct CheckpointCorpusTests {
    /// A valid checkpoint of the 4 → 8 → 3 network, after one epoch of momentum (so it has optimizer state).
    static let valid: [UInt8] = {
        var session = TrainingSessionTests.session(epochs: 1)
        try! session.trainEpoch(on: TrainingSessionTests.blobs(count: 32, seed: 11))
        let directory = try! TemporaryDirectory()
        let url = directory.url.appendingPathComponent("valid.ckpt")
        try! session.save(to: url)
        return try! FileIO.readAll(url)
    }()

    /// The valid checkpoint with its description rewritten by `edit`.
    static func editingDescription(_ edit: (inout [String: Any]) -> Void) -> [UInt8] {
        var file = try! SafeTensors.decode(valid)
        let json = file.metadata![TrainingSession.metadataKey]!
        var object = try! JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        edit(&object)
        let data = try! JSONSerialization.data(withJSONObject: object)
        file.metadata![TrainingSession.metadataKey] = String(decoding: data, as: UTF8.self)
        return SafeTensors.encode(file)
    }

    static func editingSpecification(_ edit: @escaping (inout [String: Any]) -> Void) -> [UInt8] {
        editingDescription { object in
            var spec = object["specification"] as! [String: Any]
            edit(&spec)
            object["specification"] = spec
        }
    }

    static func editingOptions(_ edit: @escaping (inout [String: Any]) -> Void) -> [UInt8] {
        editingDescription { object in
            var options = object["options"] as! [String: Any]
            edit(&options)
            object["options"] = options
        }
    }

    /// The valid checkpoint with its tensors rewritten by `edit`.
    static func editingTensors(_ edit: (inout [String: SafeTensorsEntry]) -> Void) -> [UInt8] {
        var file = try! SafeTensors.decode(valid)
        edit(&file.tensors)
        return SafeTensors.encode(file)
    }

    /// The valid checkpoint with its raw JSON header rewritten by `edit` (the length prefix follows).
    static func editingHeader(_ edit: (String) -> String) -> [UInt8] {
        let length = Int(valid[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let original = String(decoding: valid[8..<(8 + length)], as: UTF8.self)
        let header = edit(original)
        precondition(header != original, "the edit changed nothing")
        return SafeTensors.littleEndianBytes([UInt64(header.utf8.count)]) + Array(header.utf8) + valid[(8 + length)...]
    }

    enum Expected { case data(DataError.Kind), checkpoint(String) }

    /// Name, bytes, and the error expected: a DataError kind, or words the CheckpointError must contain.
    static let corpus: [(String, [UInt8], Expected)] = [
        ("empty file", [], .data(.emptyFile)),
        ("text file", Array("epoch,loss\n1,0.5\n".utf8), .data(.tooLarge)),
        ("truncated to half", Array(valid.prefix(valid.count / 2)), .data(.truncated)),
        ("truncated by one byte", Array(valid.dropLast()), .data(.truncated)),
        ("plain safetensors, no description", SafeTensors.encode(SafeTensorsFile(tensors: ["x": SafeTensorsEntry(shape: [1], floats: [1])])),
         .checkpoint("not a Feedforward checkpoint")),
        ("description is not JSON", {
            var file = try! SafeTensors.decode(valid)
            file.metadata![TrainingSession.metadataKey] = "{\"format\": 1, "
            return SafeTensors.encode(file)
        }(), .checkpoint("malformed")),
        ("description misses fields", editingDescription { $0["specification"] = nil }, .checkpoint("malformed")),
        ("description has wrong types", editingDescription { $0["epoch"] = "one" }, .checkpoint("malformed")),
        ("future format", editingDescription { $0["format"] = 2 }, .checkpoint("format 2")),
        ("zero input size", editingSpecification { $0["inputSize"] = 0 }, .checkpoint("input size")),
        ("negative hidden size", editingSpecification { $0["hiddenSizes"] = [-8] }, .checkpoint("hidden sizes")),
        ("hidden size 2^40", editingSpecification { $0["hiddenSizes"] = [1 << 40] }, .checkpoint("hidden sizes")),
        // Each width within bounds, but 2^20 x 2^20 weights (4 TiB) in a file of a few kilobytes.
        ("2^40 weights claimed", editingSpecification { $0["hiddenSizes"] = [1 << 20, 1 << 20] }, .checkpoint("needs [1048576, 4]")),
        ("2^24 inputs claimed", editingSpecification { $0["inputSize"] = 1 << 24 }, .checkpoint("needs [8, 16777216]")),
        ("20000 layers claimed", editingSpecification { $0["hiddenSizes"] = [Int](repeating: 8, count: 20_000) }, .checkpoint("hidden sizes")),
        ("huge class count", editingSpecification { $0["targetSize"] = Int.max }, .checkpoint("out of range")),
        ("overflowing mixture output", editingSpecification {
            $0["output"] = ["mixtureDensity": ["components": Int.max / 2]]
        }, .checkpoint("out of range")),
        ("unknown activation", editingSpecification { $0["activation"] = "swish-9000" }, .checkpoint("activation")),
        ("generator state all zero", editingDescription { $0["generatorState"] = [0, 0, 0, 0] }, .checkpoint("random generator")),
        ("generator state too short", editingDescription { $0["generatorState"] = [1, 2] }, .checkpoint("random generator")),
        ("batch size zero", editingOptions { $0["batchSize"] = 0 }, .checkpoint("training options")),
        ("negative learning rate", editingOptions { $0["learningRate"] = -1.0 }, .checkpoint("training options")),
        ("negative warm-up", editingOptions { $0["schedule"] = ["warmup": ["steps": Int.min, "then": ["constant": [:] as [String: Any]]]] },
         .checkpoint("training options")),
        ("negative epoch", editingDescription { $0["epoch"] = -3 }, .checkpoint("progress counters")),
        ("step at Int.max", editingDescription { $0["step"] = Int.max }, .checkpoint("progress counters")),
        ("standardizer of the wrong width", editingDescription {
            $0["standardizer"] = ["mean": [0.0], "standardDeviation": [1.0]]
        }, .checkpoint("standardizer")),
        ("weight of the wrong shape", editingTensors {
            $0["model.0.weight"] = SafeTensorsEntry(shape: [4, 8], floats: [Float](repeating: 0, count: 32))
        }, .checkpoint("parameter '0.weight' has shape [4, 8]")),
        ("weight of an integer type", editingTensors {
            let entry = $0["model.0.weight"]!
            $0["model.0.weight"] = SafeTensorsEntry(dtype: .int32, shape: entry.shape, bytes: entry.bytes)
        }, .checkpoint("unsupported type I32")),
        ("missing bias", editingTensors { $0["model.1.bias"] = nil }, .checkpoint("parameter '1.bias' is missing")),
        ("renamed bias", editingTensors { $0["model.1.offset"] = $0.removeValue(forKey: "model.1.bias") }, .checkpoint("1.bias")),
        // Every parameter present with its shape, plus one the network does not have.
        ("extra model tensor", editingTensors { $0["model.2.weight"] = SafeTensorsEntry(shape: [5], floats: [1, 2, 3, 4, 5]) },
         .checkpoint("unexpected tensor 'model.2.weight'")),
        ("unexpected tensor name", editingTensors { $0["weights"] = SafeTensorsEntry(shape: [1], floats: [1]) }, .checkpoint("unexpected tensor 'weights'")),
        ("optimizer state of the wrong shape", editingTensors {
            let key = $0.keys.first { $0.hasPrefix("optimizer.") }!
            $0[key] = SafeTensorsEntry(shape: [2], floats: [0, 0])
        }, .checkpoint("optimizer state")),
        ("optimizer state for no parameter", editingTensors {
            $0["optimizer.7.weight.first"] = SafeTensorsEntry(shape: [2], floats: [0, 0])
        }, .checkpoint("optimizer state '7.weight.first'")),
        ("NaN weight", editingTensors {
            $0["model.0.weight"] = SafeTensorsEntry(shape: [8, 4], floats: [1, .nan] + [Float](repeating: 0, count: 30))
        }, .checkpoint("tensor 'model.0.weight' holds nan at element 1")),
        ("infinite bias", editingTensors {
            $0["model.1.bias"] = SafeTensorsEntry(shape: [3], floats: [0, 0, -.infinity])
        }, .checkpoint("tensor 'model.1.bias' holds -inf")),
        ("infinite optimizer state", editingTensors {
            $0["optimizer.1.bias.first"] = SafeTensorsEntry(shape: [3], floats: [.infinity, 0, 0])
        }, .checkpoint("tensor 'optimizer.1.bias.first' holds inf")),
        // Momentum after its steps keeps a velocity for every parameter: a missing one is not a reset.
        ("missing optimizer buffer", editingTensors { $0["optimizer.0.weight.first"] = nil },
         .checkpoint("optimizer state '0.weight.first' is missing")),
        ("second buffer for momentum", editingTensors {
            $0["optimizer.0.bias.second"] = SafeTensorsEntry(shape: [8], floats: [Float](repeating: 0, count: 8))
        }, .checkpoint("unexpected optimizer state '0.bias.second'")),
        ("tensor claiming 2^40 elements", editingHeader {
            $0.replacingOccurrences(of: "\"shape\":[3]", with: "\"shape\":[1099511627776]")
        }, .data(.mismatch)),
        ("tensor at a huge offset", editingHeader {
            $0.replacingOccurrences(of: "\"shape\":[3],\"data_offsets\":[", with: "\"shape\":[3],\"data_offsets\":[4611686018427387904,")
        }, .data(.invalidHeader)),
    ]

    @Test func theValidCheckpointLoads() throws {
        let session = try TrainingSession.decode(Self.valid, path: "valid.ckpt")
        #expect(session.epoch == 1 && session.specification.hiddenSizes == [8])
    }

    /// The shapes checked before building agree with the network that is built.
    @Test(arguments: [
        NetworkSpecification(inputSize: 4, hiddenSizes: [], activation: .relu, output: .sigmoid, targetSize: 2),
        NetworkSpecification(inputSize: 7, hiddenSizes: [5, 3, 9], activation: .tanh, output: .mixtureDensity(components: 3), targetSize: 2),
    ])
    func parameterShapesMatchTheBuiltNetwork(specification: NetworkSpecification) throws {
        var generator = SeededRandomNumberGenerator(seed: 1)
        let built = specification.makeModel(generator: &generator).parameters.map { "\($0.name) \($0.value.shape)" }
        let predicted = try #require(TrainingSession.parameterShapes(of: specification)).map { "\($0.name) \($0.shape)" }
        #expect(built == predicted)
    }

    @Test(arguments: 0..<corpus.count)
    func rejectsWithATypedErrorNamingTheFile(index: Int) throws {
        let (name, bytes, expected) = Self.corpus[index]
        let directory = try TemporaryDirectory()
        let url = try directory.file("case-\(index).ckpt", bytes)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let session = try TrainingSession.load(from: url)
            Issue.record("\(name): loaded a session with \(session.model.parameterCount) parameters")
        } catch let error as DataError {
            guard case .data(let kind) = expected else { Issue.record("\(name): unexpected \(error)"); return }
            #expect(error.kind == kind, "\(name): \(error)")
            #expect(error.description.contains(url.path), "\(name): \(error)")
        } catch let error as CheckpointError {
            guard case .checkpoint(let words) = expected else { Issue.record("\(name): unexpected \(error)"); return }
            #expect(error.description.contains(words), "\(name): \(error)")
            #expect(error.path == url.path && error.description.hasPrefix(url.path), "\(name): \(error)")
        }
        // Nothing the file claims was allocated or computed: rejection is immediate.
        #expect(clock.now - start < .seconds(2), "\(name) took \(clock.now - start)")
    }
}
