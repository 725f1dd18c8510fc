import CFuzzDriver
import Feedforward
import FeedforwardCommandLine

/// The argument list the bytes stand for: split at every NUL and newline (so a seed file holds one
/// argument per line), empty arguments kept, but not the one after a final separator.
func arguments(from bytes: UnsafeBufferPointer<UInt8>) -> [String] {
    guard !bytes.isEmpty else { return [] }
    var list = bytes.split(omittingEmptySubsequences: false) { $0 == 0 || $0 == UInt8(ascii: "\n") }
        .map { String(decoding: $0, as: UTF8.self) }
    if list.count > 1, list.last == "" { list.removeLast() }
    return list
}

/// Any bytes, as the arguments of `feedforward train`: `TrainingConfiguration(trainArguments:)` either
/// returns a configuration within the documented bounds (hidden sizes, threads, epochs, options that
/// validate, a schedule that parses for any run length), the same one when asked again, or throws a
/// `ConfigurationError` with a message. A trap or a hang (libFuzzer's -timeout) is a finding.
func fuzzArguments(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let list = arguments(from: UnsafeBufferPointer(start: data, count: size))
    let configuration: TrainingConfiguration
    do {
        configuration = try TrainingConfiguration(trainArguments: list)
    } catch {
        precondition(!error.message.isEmpty, "\(list) failed with an empty message")
        return 0
    }
    precondition(configuration.hiddenSizes.allSatisfy { (1...TrainingSession.maximumLayerWidth).contains($0) },
                 "\(list): hidden sizes \(configuration.hiddenSizes)")
    precondition(configuration.threads.map { (1...ComputeEnvironment.maximumThreadCount).contains($0) } ?? true,
                 "\(list): threads \(configuration.threads!)")
    precondition((0...TrainingConfiguration.maximumEpochs).contains(configuration.options.epochs),
                 "\(list): epochs \(configuration.options.epochs)")
    do {
        try configuration.options.validate()
    } catch {
        fatalError("\(list) parsed to options that do not validate: \(error)")
    }
    for steps in [1, 1_000, Int(Int32.max)] {
        precondition(configuration.schedule(totalSteps: steps) != nil, "\(list): the schedule does not parse for \(steps) steps")
    }
    precondition((try? TrainingConfiguration(trainArguments: list)) == configuration, "\(list) parsed differently a second time")
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with the arguments given.
@_cdecl("FuzzArguments_main")
public func fuzzArgumentsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzArguments(data, size) }
}
