import Foundation
import SwiftProtobuf
import Testing
@testable import Feedforward

@Suite("Logging: TensorBoard event files") struct TensorBoardTests {
    @Test func crc32cMatchesPublishedVectors() {
        // The check value of CRC-32C, and the vectors of RFC 3720, appendix B.4.
        #expect(TFRecord.crc32c(Array("123456789".utf8)) == 0xe306_9283)
        #expect(TFRecord.crc32c([UInt8](repeating: 0, count: 32)) == 0x8a91_36aa)
        #expect(TFRecord.crc32c([UInt8](repeating: 0xff, count: 32)) == 0x62a8_ab43)
        #expect(TFRecord.crc32c((0..<32).map { UInt8($0) }) == 0x46dd_794e)
        #expect(TFRecord.crc32c((0..<32).map { UInt8(31 - $0) }) == 0x113f_db5c)
        // TensorBoard 2.21's masked_crc32c(b"123456789").
        #expect(TFRecord.maskedCRC32C(Array("123456789".utf8)) == 0xc78a_b0e5)
    }

    @Test func framingMatchesTensorBoardsRecordWriter() {
        // Bytes written by tensorboard.summary.writer.record_writer.RecordWriter (TensorBoard 2.21)
        // for b"hello" and for the Event(wall_time=1.5, step=3, summary={"train/loss": 0.25}).
        #expect(TFRecord.frame(Array("hello".utf8))
                == [5, 0, 0, 0, 0, 0, 0, 0, 234, 178, 4, 62, 104, 101, 108, 108, 111, 187, 31, 28, 25])
        var event = TensorBoardEvent()
        event.wallTime = 1.5
        event.step = 3
        var value = TensorBoardSummary.Value()
        value.tag = "train/loss"
        value.simpleValue = 0.25
        event.summary.value = [value]
        let bytes: [UInt8] = try! event.serializedBytes()
        #expect(bytes == [9, 0, 0, 0, 0, 0, 0, 248, 63, 16, 3, 42, 19, 10, 17, 10, 10, 116, 114, 97, 105, 110, 47,
                          108, 111, 115, 115, 21, 0, 0, 128, 62])
        #expect(TFRecord.frame(bytes)
                == [32, 0, 0, 0, 0, 0, 0, 0, 41, 237, 169, 80] + bytes + [67, 48, 27, 146])
    }

    /// The records of an event file, each checked against its two masked CRCs.
    static func records(_ bytes: [UInt8]) -> [[UInt8]] {
        var records: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            let header = Array(bytes[offset..<offset + 8])
            let length = header.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let storedHeaderCRC = bytes[offset + 8..<offset + 12].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
            #expect(storedHeaderCRC == TFRecord.maskedCRC32C(header))
            let data = Array(bytes[offset + 12..<offset + 12 + length])
            let storedDataCRC = bytes[offset + 12 + length..<offset + 16 + length].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
            #expect(storedDataCRC == TFRecord.maskedCRC32C(data))
            records.append(data)
            offset += 16 + length
        }
        return records
    }

    @Test func writerWritesTheVersionThenOneEventPerStep() throws {
        let directory = try TemporaryDirectory()
        let logDirectory = directory.url.appendingPathComponent("runs/first")
        let writer = try TensorBoardWriter(directory: logDirectory, wallTime: Date(timeIntervalSince1970: 100))
        try writer.addScalars([("train/loss", 0.5), ("learning_rate", 0.01)], step: 1, wallTime: Date(timeIntervalSince1970: 101))
        try writer.addScalar(0.25, tag: "train/loss", step: 2, wallTime: Date(timeIntervalSince1970: 102))
        #expect(writer.fileURL.lastPathComponent.hasPrefix("events.out.tfevents.100."))
        let events = try Self.records(Array(Data(contentsOf: writer.fileURL))).map { try TensorBoardEvent(serializedBytes: $0) }
        #expect(events.count == 3)
        #expect(events[0].fileVersion == "brain.Event:2" && events[0].wallTime == 100)
        #expect(events[1].step == 1 && events[1].wallTime == 101)
        #expect(events[1].summary.value.map(\.tag) == ["train/loss", "learning_rate"])
        #expect(events[1].summary.value.map(\.simpleValue) == [0.5, 0.01])
        #expect(events[2].step == 2 && events[2].summary.value.map(\.simpleValue) == [0.25])
    }

    @Test func aTrainerLoopLogsItsEpochs() throws {
        let directory = try TemporaryDirectory()
        let writer = try TensorBoardWriter(directory: directory.url)
        var trainer = TrainerTests.makeTrainer(seed: 3)
        trainer.configuration.epochs = 3
        let validation = TrainerTests.spiralExamples(count: 30, seed: 12)
        try trainer.fit(on: TrainerTests.spiralExamples(count: 60, seed: 11), validation: validation) { record in
            try writer.addScalars(record.tensorBoardScalars, step: record.epoch)
        }
        let events = try Self.records(Array(Data(contentsOf: writer.fileURL))).map { try TensorBoardEvent(serializedBytes: $0) }
        #expect(events.dropFirst().map(\.step) == [1, 2, 3])
        for (event, record) in zip(events.dropFirst(), trainer.history) {
            #expect(event.summary.value.map(\.tag) == ["train/loss", "validation/loss", "learning_rate"])
            #expect(event.summary.value.map(\.simpleValue)
                    == [Float(record.trainLoss), Float(record.validationLoss!), Float(record.learningRate)])
        }
    }

    @Test func anUnwritableDirectoryIsATypedError() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.file("plain", [1])
        #expect(throws: DataError.self) { try TensorBoardWriter(directory: file.appendingPathComponent("runs")) }
    }
}
