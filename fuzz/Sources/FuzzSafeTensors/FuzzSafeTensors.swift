import CFuzzDriver
import Feedforward

/// Any bytes: SafeTensors.decode must return tensors whose bytes match their shapes, or throw a DataError.
func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let file = try SafeTensors.decode(bytes, path: "fuzz.safetensors")
        for (_, entry) in file.tensors {
            precondition(entry.bytes.count == entry.elementCount * entry.dtype.byteCount)
            _ = entry.floats(); _ = entry.integers(); _ = entry.doubles()
        }
        // What was read writes back and reads again to the same contents.
        let again: SafeTensorsFile
        do { again = try SafeTensors.decode(SafeTensors.encode(file)) } catch { fatalError("re-reading what was written failed: \(error)") }
        precondition(again == file, "a file read and written back reads differently")
    } catch is DataError {
    } catch {
        fatalError("SafeTensors.decode threw a non-DataError: \(error)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with the arguments given.
@_cdecl("FuzzSafeTensors_main")
public func fuzzSafeTensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSafeTensors(data, size) }
}
