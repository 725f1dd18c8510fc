import Foundation
import Testing
@testable import Feedforward

/// Writes the checkpoint seeds of the fuzz corpus (fuzz/corpus/Checkpoint) when
/// FEEDFORWARD_FUZZ_SEEDS names a directory; otherwise does nothing.
@Suite("Reliability: fuzz seed export") struct FuzzSeedExport {
    @Test func writeCheckpointSeeds() throws {
        guard let path = ProcessInfo.processInfo.environment["FEEDFORWARD_FUZZ_SEEDS"] else { return }
        let directory = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The whole file, and the description alone (which the fuzz target wraps around a tiny network).
        try Data(CheckpointCorpusTests.valid).write(to: directory.appendingPathComponent("valid.ckpt"))
        let file = try SafeTensors.decode(CheckpointCorpusTests.valid)
        var object = try JSONSerialization.jsonObject(with: Data(file.metadata![TrainingSession.metadataKey]!.utf8)) as! [String: Any]
        // The fuzz target's network is 2 → 3 → 2: make the description match it.
        object["specification"] = ["inputSize": 2, "hiddenSizes": [3], "activation": "relu", "output": ["softmax": [:] as [String: Any]], "targetSize": 2]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        try Data(json.utf8).write(to: directory.appendingPathComponent("description.json"))
    }
}
