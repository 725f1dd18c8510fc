import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import Feedforward

/// `feedforward predict` hands the network a chunk of rows at a time (issue 16: it converted every
/// image of the input to features at once), so its memory on a large file stays near the file's bytes.
@Suite(.serialized) struct PredictStreamingTests {
    /// A saved, untrained 784-16-10 softmax network: the shape of an MNIST model.
    static func imageModel(in directory: TemporaryDirectory) throws -> String {
        let specification = NetworkSpecification(
            inputSize: 784, hiddenSizes: [16], hiddenUnit: .activation(.relu), output: .softmax, targetSize: 10)
        let url = directory.url.appendingPathComponent("images.ckpt")
        try TrainingSession(validating: specification, options: TrainingOptions()).save(to: url)
        return url.path
    }

    /// An IDX file of `count` 28x28 images: a block of 1000 pseudo-random images, repeated.
    static func images(_ count: Int, in directory: TemporaryDirectory, name: String) throws -> String {
        var generator = SeededRandomNumberGenerator(seed: 16)
        let block = (0..<1000 * 784).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var pixels: [UInt8] = []
        pixels.reserveCapacity(count * 784)
        while pixels.count < count * 784 { pixels.append(contentsOf: block.prefix(count * 784 - pixels.count)) }
        let url = directory.url.appendingPathComponent(name)
        try IDX.write(IDXArray(shape: [count, 28, 28], values: .uint8(pixels)), to: url)
        return url.path
    }

    /// Runs `feedforward` with `arguments`, its output thrown away, and returns its exit status and
    /// its peak resident memory in bytes: the largest `VmHWM` (the high-water mark of its own address
    /// space) read from `/proc/PID/status` every 2 ms while it runs. `wait4`'s `ru_maxrss` would not
    /// do: glibc's `posix_spawn` shares this test process's memory until `exec`, and the kernel
    /// counts that memory's high-water mark as the child's.
    static func peakMemory(_ arguments: [String]) throws -> (status: Int32, bytes: Int) {
        guard let url = FeedforwardExecutable.url else { throw FeedforwardExecutable.NotBuilt() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([url.path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, url.path, &actions, nil, argv, environ)
        try #require(spawned == 0, "posix_spawn failed: \(String(cString: strerror(spawned)))")
        var peak = 0
        var status: Int32 = 0
        // Until the child is reaped its process ID cannot be reused, so the file is always its own.
        while waitpid(pid, &status, WNOHANG) == 0 {
            if let text = Self.contents(ofProcFile: "/proc/\(pid)/status"),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Int($0) }) {
                peak = Swift.max(peak, kilobytes * 1024)
            }
            usleep(2000)
        }
        return (status, peak)
    }

    /// The text of a `/proc` file, read to its end (such files report a size of 0, which readers
    /// that trust the size take at its word).
    static func contents(ofProcFile path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 2,500 images (two full chunks and part of a third) give the classes and probabilities that
    /// the whole file predicted at once gives.
    @Test func chunksPredictWhatTheWholeFileDoes() throws {
        let directory = try TemporaryDirectory()
        let model = try Self.imageModel(in: directory)
        let input = try Self.images(2500, in: directory, name: "images-idx3-ubyte")
        let output = directory.url.appendingPathComponent("predictions.csv").path
        let run = try FeedforwardExecutable.run(["predict", "--model", model, "--input", input, "--output", output])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.error.contains("wrote 2500 predictions"), "\(run.error)")
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 2501, "\(lines.count) lines")
        #expect(lines[0] == "class,probability")

        let session = try TrainingSession.load(from: URL(fileURLWithPath: model))
        let whole = session.predictions(for: try LabeledImages.features(ofImagesAt: URL(fileURLWithPath: input)))
        let probabilities = softmax(whole, alongAxis: 1).scalars
        for (row, label) in whole.argmax(alongAxis: 1).enumerated() {
            let fields = lines[row + 1].split(separator: ",")
            #expect(fields.first.flatMap { Int($0) } == label, "row \(row + 1): \(lines[row + 1]), expected class \(label)")
            let probability = try #require(fields.last.flatMap { Float($0) })
            #expect(abs(probability - probabilities[row * 10 + label]) <= 1e-5, "row \(row + 1): \(lines[row + 1])")
        }
        // The output went through a temporary file, which is gone.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "\(left)")
    }

    /// A row whose prediction overflows, in the second chunk, stops the run with its row number; the
    /// file already at `--output` is left as it was, and no temporary file is left beside it.
    @Test func aFailureInALaterChunkLeavesTheOutputAsItWas() throws {
        let directory = try TemporaryDirectory()
        let specification = NetworkSpecification(
            inputSize: 2, hiddenSizes: [3], hiddenUnit: .activation(.relu), output: .softmax, targetSize: 2)
        let saved = directory.url.appendingPathComponent("plain.ckpt")
        try TrainingSession(validating: specification, options: TrainingOptions()).save(to: saved)
        var file = try SafeTensors.decode(Array(try Data(contentsOf: saved)))
        let first = try #require(file.tensors["model.0.weight"])
        file.tensors["model.0.weight"] = SafeTensorsEntry(shape: first.shape, floats: [Float](repeating: 1e30, count: 6))
        let model = try directory.file("huge-weights.ckpt", SafeTensors.encode(file)).path
        let rows = (1...1500).map { $0 == 1300 ? "1e30,1e30" : "0,0" }
        let input = try directory.file("points.csv", Array(("a,b\n" + rows.joined(separator: "\n") + "\n").utf8)).path
        let output = try directory.file("predictions.csv", Array("earlier\n".utf8)).path
        let run = try FeedforwardExecutable.run(["predict", "--model", model, "--input", input, "--output", output])
        #expect(run.status != 0 && run.error.contains("the prediction for row 1300 of") && run.error.contains("overflow"), "\(run.error)")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "earlier\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "\(left)")
    }

    /// Predicting 60,000 images (47 MB of pixels) takes little more memory than their bytes: the
    /// whole file as features would be four times their size again. Not run under the sanitizers,
    /// whose shadow memory and quarantine of freed blocks make resident memory meaningless here, nor
    /// where there is no `/proc` to read it from.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status")
                       && ProcessInfo.processInfo.environment["ASAN_OPTIONS"] == nil
                       && ProcessInfo.processInfo.environment["TSAN_OPTIONS"] == nil))
    func memoryStaysNearTheFileSize() throws {
        let directory = try TemporaryDirectory()
        let model = try Self.imageModel(in: directory)
        let small = try Self.images(10, in: directory, name: "small-idx3-ubyte")
        let large = try Self.images(60_000, in: directory, name: "large-idx3-ubyte")
        let bytes = 60_000 * 784
        let output = directory.url.appendingPathComponent("predictions.csv").path
        let baseline = try Self.peakMemory(["predict", "--model", model, "--input", small, "--output", output])
        let measured = try Self.peakMemory(["predict", "--model", model, "--input", large, "--output", output])
        #expect(baseline.status == 0 && measured.status == 0, "exit statuses \(baseline.status), \(measured.status)")
        let growth = measured.bytes - baseline.bytes
        print("predict on \(bytes) bytes of pixels: peak RSS \(measured.bytes >> 20) MiB, \(growth >> 20) MiB above 10 images")
        #expect(growth < 2 * bytes + 48 << 20,
                "peak memory grew by \(growth >> 20) MiB for \(bytes >> 20) MiB of pixels (features of the whole file: \(4 * bytes >> 20) MiB)")
    }
}
