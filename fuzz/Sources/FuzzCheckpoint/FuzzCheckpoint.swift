import CFuzzDriver
import Feedforward

/// Tensors of the network 2 → 3 → 2 (softmax), for inputs that are only a checkpoint description.
let tinyNetworkTensors: [String: SafeTensorsEntry] = [
    "model.0.weight": SafeTensorsEntry(shape: [3, 2], floats: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]),
    "model.0.bias": SafeTensorsEntry(shape: [3], floats: [0, 0.1, 0]),
    "model.1.weight": SafeTensorsEntry(shape: [2, 3], floats: [0.7, 0.8, -0.9, 1, 0.5, 0.25]),
    "model.1.bias": SafeTensorsEntry(shape: [2], floats: [0, 0]),
]

/// Inputs starting with `{` are a checkpoint description (the JSON metadata), wrapped with the tensors
/// of a tiny network so the fuzzer reaches the description's validation; anything else is a whole
/// file. TrainingSession.decode must return a session or throw DataError/CheckpointError.
func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.first == UInt8(ascii: "{") {
        let json = String(decoding: bytes, as: UTF8.self)
        bytes = SafeTensors.encode(SafeTensorsFile(tensors: tinyNetworkTensors, metadata: ["feedforward.checkpoint": json]))
    }
    do {
        let session = try TrainingSession.decode(bytes, path: "fuzz.ckpt")
        // A session that loads must run: one prediction on zeros.
        let input = Tensor<Float>.zeros(shape: [1, session.specification.inputSize])
        _ = session.predictions(for: input)
    } catch is DataError {
    } catch is CheckpointError {
    } catch {
        fatalError("TrainingSession.decode threw an unexpected error: \(error)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with the arguments given.
@_cdecl("FuzzCheckpoint_main")
public func fuzzCheckpointMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCheckpoint(data, size) }
}
