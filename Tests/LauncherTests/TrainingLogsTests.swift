import Foundation
import Support
import XCTest

/// metrics.jsonl and the TensorBoard event file of real (tiny) runs.
final class TrainingLogsTests: XCTestCase {
    func records(_ run: String) throws -> [[String: Any]] {
        try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func double(_ record: [String: Any], _ key: String) -> Double { (record[key] as? NSNumber)?.doubleValue ?? .nan }

    /// Every --log-every 3 record holds the means of the --log-every 1 records
    /// of its window (same seed, same steps), and the log line prints them.
    func testMetricsAreTheLoggedWindowMeans() throws {
        let each = ProcessHarness.temporaryDirectory("logs-every-1")
        let windowed = ProcessHarness.temporaryDirectory("logs-every-3")
        for (out, every) in [(each, "1"), (windowed, "3")] {
            let r = try ProcessHarness.epsDist(
                SyntheticFixture.trainArguments(
                    out: out, iterations: 7, extra: ["--log-every", every, "--threads", "1"]))
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let perStep = try records(each)
        XCTAssertEqual(perStep.map { $0["step"] as? Int }, Array(1...7))
        XCTAssertTrue(perStep.allSatisfy { $0["window"] as? Int == 1 })
        let means = try records(windowed)
        // Logged at the first step, every third, and the last.
        XCTAssertEqual(means.map { $0["step"] as? Int }, [1, 3, 6, 7])
        XCTAssertEqual(means.map { $0["window"] as? Int }, [1, 2, 3, 1])
        var first = 0
        for record in means {
            let step = record["step"] as! Int
            let window = perStep[first..<step]
            first = step
            for key in ["loss", "loss_cls", "loss_sal"] {
                let mean = window.map { double($0, key) }.reduce(0, +) / Double(window.count)
                XCTAssertEqual(double(record, key), mean, accuracy: 1e-12 * max(1, abs(mean)), "\(key) at step \(step)")
            }
            XCTAssertEqual(double(record, "lr"), double(perStep[step - 1], "lr"), "lr is the step's own")
            let time = try XCTUnwrap(record["time"] as? [String: Any])
            XCTAssertEqual(Set(time.keys), ["data", "forward", "backward", "allreduce", "step"])
            XCTAssertGreaterThan(double(record, "images_per_s"), 0)
        }
        // The log prints the same numbers.
        let log = try String(contentsOfFile: "\(windowed)/logs/rank-0.log", encoding: .utf8)
        for record in means {
            let line = String(
                format: "step %6d/7  loss %.4f  cls %.4f  sal %.4f  lr %.6f  %.1f img/s", record["step"] as! Int,
                double(record, "loss"), double(record, "loss_cls"), double(record, "loss_sal"), double(record, "lr"),
                double(record, "images_per_s"))
            XCTAssertTrue(log.contains(line), "no log line '\(line)' in\n\(log)")
        }
        // Wall-clock fields: elapsed grows, timestamps are UTC ISO 8601 of now.
        let elapsed = means.map { double($0, "elapsed_s") }
        XCTAssertEqual(elapsed, elapsed.sorted())
        XCTAssertGreaterThan(elapsed[0], 0)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for record in means {
            let stamp = try XCTUnwrap(record["timestamp"] as? String)
            XCTAssertTrue(stamp.hasSuffix("Z"), stamp)
            let date = try XCTUnwrap(iso.date(from: stamp), stamp)
            XCTAssertLessThan(abs(date.timeIntervalSinceNow), 600)
        }
        // One event file: the file version, the session start, one summary per record.
        let events = try EventFileReader.files(in: windowed)
        XCTAssertEqual(events.count, 1)
        let read = try EventFileReader.events(events[0])
        XCTAssertEqual(read.map(\.kind), ["file_version", "session_start"] + means.map { _ in "summary" })
        XCTAssertEqual(read[1].step, 1)
        XCTAssertEqual(read.dropFirst(2).map(\.step), means.map { $0["step"] as! Int })
    }

    /// A run killed after logging past its last checkpoint, resumed: a second
    /// event file whose START is the first step redone, elapsed time that
    /// continues, each step recorded once.
    func testResumedRunContinuesElapsedTimeInANewEventFile() throws {
        let out = ProcessHarness.temporaryDirectory("logs-resume")
        let flags = ["--log-every", "1", "--threads", "1", "--checkpoint-every", "2"]
        let first = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: out, iterations: 8, extra: flags + ["--stop-at-step", "5"]))
        XCTAssertEqual(first.status, 3, first.stderr)
        // As if killed after step 5 was logged: the newest checkpoint is step 4's.
        try FileManager.default.removeItem(atPath: "\(out)/checkpoints/step-000005.safetensors")
        let before = try records(out)
        XCTAssertEqual(before.map { $0["step"] as? Int }, Array(1...5))
        let second = try ProcessHarness.epsDist(
            SyntheticFixture.trainArguments(out: out, iterations: 8, extra: flags + ["--resume"]))
        XCTAssertEqual(second.status, 0, second.stderr)
        let after = try records(out)
        XCTAssertEqual(after.map { $0["step"] as? Int }, Array(1...8))
        XCTAssertGreaterThan(double(after[4], "elapsed_s"), double(before[3], "elapsed_s"))
        let files = try EventFileReader.files(in: out)
        XCTAssertEqual(files.count, 2, "\(files)")
        XCTAssertEqual(try EventFileReader.events(files[0]).dropFirst(2).map(\.step), Array(1...5))
        let resumed = try EventFileReader.events(files[1])
        XCTAssertEqual(resumed.map(\.kind), ["file_version", "session_start"] + Array(repeating: "summary", count: 4))
        XCTAssertEqual(resumed[1].step, 5, "START at the first step the resumed session runs again")
        XCTAssertEqual(resumed.dropFirst(2).map(\.step), Array(5...8))
    }
}

/// Just enough of an event-file reader to check what the trainer wrote:
/// TFRecord frames (CRCs checked) and each Event's step and kind.
enum EventFileReader {
    struct Event {
        var step: Int
        var kind: String
    }

    static func files(in dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("events.out.tfevents.") }
            .sorted().map { "\(dir)/\($0)" }
    }

    struct Malformed: Error { var reason: String }

    static func events(_ path: String) throws -> [Event] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var events: [Event] = []
        var at = 0
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * $1) } }
        while at < bytes.count {
            guard at + 12 <= bytes.count else { throw Malformed(reason: "cut header at \(at)") }
            let length = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) })
            guard CRC32C.masked(bytes[at..<at + 8]) == u32(at + 8), at + 16 + length <= bytes.count else {
                throw Malformed(reason: "bad header at \(at)")
            }
            let data = Array(bytes[at + 12..<at + 12 + length])
            guard CRC32C.masked(data) == u32(at + 12 + length) else { throw Malformed(reason: "bad data CRC at \(at)") }
            events.append(try event(data))
            at += 16 + length
        }
        return events
    }

    /// The step (field 2) and which of file_version (3), summary (5), session_log (7) is set.
    static func event(_ data: [UInt8]) throws -> Event {
        var result = Event(step: 0, kind: "?")
        var i = 0
        func varint() -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while i < data.count {
                let b = data[i]
                i += 1
                v |= UInt64(b & 0x7F) << shift
                shift += 7
                if b < 0x80 { break }
            }
            return v
        }
        while i < data.count {
            let key = varint()
            switch key & 7 {
            case 0:
                let v = varint()
                if key >> 3 == 2 { result.step = Int(v) }
            case 1: i += 8
            case 5: i += 4
            case 2:
                i += Int(varint())
                result.kind = [3: "file_version", 5: "summary", 7: "session_start"][Int(key >> 3)] ?? "?"
            default: throw Malformed(reason: "wire type \(key & 7)")
            }
        }
        return result
    }
}
