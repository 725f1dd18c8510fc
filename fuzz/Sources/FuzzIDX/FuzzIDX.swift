import CFuzzDriver
import Feedforward

/// Any bytes: IDX.decode must return an array or throw a DataError, never trap or over-allocate.
func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        // A 64 MiB cap keeps libFuzzer's RSS limit meaningful for gzip bombs.
        let array = try IDX.decode(bytes, path: "fuzz.idx", byteLimit: 64 << 20)
        precondition(array.count == array.shape.reduce(1, *))
        _ = array.floats()
    } catch is DataError {
    } catch {
        fatalError("IDX.decode threw a non-DataError: \(error)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with the arguments given.
@_cdecl("FuzzIDX_main")
public func fuzzIDXMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzIDX(data, size) }
}
