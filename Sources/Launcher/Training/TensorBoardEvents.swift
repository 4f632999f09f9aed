import Foundation
import Support

/// TensorBoard event files, encoded by hand (no protobuf dependency): each
/// record is TFRecord framing around one serialized `tensorboard.Event`.
/// Fields are written as protobuf does — in field-number order, proto3
/// scalars left out when zero, members of a oneof always written — so the
/// bytes equal TensorBoard's own writer's (Tests/LauncherTests/Fixtures,
/// scripts/tensorboard/make_event_fixture.py).
public enum TensorBoardEvents {
    /// One value of a scalar summary (`Summary.Value` with `simple_value`).
    public struct Scalar: Equatable, Sendable {
        public var tag: String
        public var value: Float
        public init(_ tag: String, _ value: Float) {
            self.tag = tag
            self.value = value
        }
    }

    /// The first event of every file: `file_version` "brain.Event:2", which
    /// makes the readers honour `sessionStart` (below).
    public static func fileVersion(wallTime: Double) -> [UInt8] {
        var event = event(wallTime: wallTime, step: 0)
        event.string(3, "brain.Event:2")
        return event.bytes
    }

    /// `session_log { status: START }` at `step`, written when a session
    /// begins: TensorBoard's Python reader then drops what earlier sessions
    /// logged at `step` and later (a resumed run logs those steps again).
    public static func sessionStart(wallTime: Double, step: Int) -> [UInt8] {
        var log = ProtoWriter()
        log.varint(1, 1)  // SessionLog.status = START
        var event = event(wallTime: wallTime, step: step)
        event.message(7, log)
        return event.bytes
    }

    /// A `summary` of scalar values at `step`.
    public static func scalars(_ scalars: [Scalar], wallTime: Double, step: Int) -> [UInt8] {
        var summary = ProtoWriter()
        for scalar in scalars {
            var value = ProtoWriter()
            value.string(1, scalar.tag, omitEmpty: true)
            value.float(2, scalar.value)  // in the oneof `value`: written even when 0
            summary.message(1, value)
        }
        var event = event(wallTime: wallTime, step: step)
        event.message(5, summary)
        return event.bytes
    }

    /// TFRecord framing: uint64 length (little-endian), masked CRC-32C of
    /// those 8 bytes, the data, masked CRC-32C of the data.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndian(UInt64(data.count))
        return length + littleEndian(CRC32C.masked(length)) + data + littleEndian(CRC32C.masked(data))
    }

    /// TensorBoard's name of an event file: `events.out.tfevents.<10-digit unix time>.<host>`.
    public static func fileName(unixTime: Int, host: String) -> String {
        String(format: "events.out.tfevents.%010d.", unixTime) + host
    }

    /// The unix time in the name of an event file of ours, nil for other names.
    static func unixTime(ofFileName name: String) -> Int? {
        let prefix = "events.out.tfevents."
        guard name.hasPrefix(prefix) else { return nil }
        return Int(name.dropFirst(prefix.count).prefix { $0 != "." })
    }

    /// Event fields 1 and 2, which precede every other.
    static func event(wallTime: Double, step: Int) -> ProtoWriter {
        var event = ProtoWriter()
        event.double(1, wallTime)
        event.varint(2, UInt64(bitPattern: Int64(step)))
        return event
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

/// The protobuf wire format of the few field kinds an Event uses.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func key(_ field: Int, _ wireType: UInt64) { rawVarint(UInt64(field) << 3 | wireType) }

    private mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A proto3 integer or enum: left out when 0.
    mutating func varint(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        key(field, 0)
        rawVarint(value)
    }

    /// A proto3 double: left out when its bits are 0.
    mutating func double(_ field: Int, _ value: Double) {
        guard value.bitPattern != 0 else { return }
        key(field, 1)
        bytes += TensorBoardEvents.littleEndian(value.bitPattern)
    }

    /// A float member of a oneof: always written.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        bytes += TensorBoardEvents.littleEndian(value.bitPattern)
    }

    mutating func string(_ field: Int, _ value: String, omitEmpty: Bool = false) {
        guard !(omitEmpty && value.isEmpty) else { return }
        lengthDelimited(field, Array(value.utf8))
    }

    mutating func message(_ field: Int, _ value: ProtoWriter) { lengthDelimited(field, value.bytes) }

    private mutating func lengthDelimited(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        rawVarint(UInt64(value.count))
        bytes += value
    }
}

/// One training session's event file in the run directory (rank 0): a new
/// file per session, as TensorBoard's writers do, named so that the sessions
/// sort in the order they ran (TensorBoard reads a folder's files by name).
/// Every record is written at once (no buffering), so `tensorboard --logdir`
/// sees a live run and a killed run loses nothing it logged.
public final class TensorBoardEventFile {
    public let path: String
    private let handle: FileHandle

    /// Creates `events.out.tfevents.<now>.<host>` in `directory` — one second
    /// after the newest event file already there if that is not earlier
    /// (a resume within the same second, a clock set back) — and writes the
    /// file-version record.
    public init(directory: String, now: Date = Date(), host: String = HostName.current) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let seconds = Int(now.timeIntervalSince1970)
        let time =
            names.compactMap(TensorBoardEvents.unixTime(ofFileName:)).max().map { max(seconds, $0 + 1) } ?? seconds
        path = "\(directory)/" + TensorBoardEvents.fileName(unixTime: time, host: host)
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw CommandError(message: "\(path): cannot create the TensorBoard event file") }
        self.handle = handle
        try append(TensorBoardEvents.fileVersion(wallTime: now.timeIntervalSince1970))
    }

    /// Writes one event, framed as a TFRecord.
    public func append(_ event: [UInt8]) throws {
        do { try handle.write(contentsOf: TensorBoardEvents.record(event)) } catch {
            throw CommandError(message: "\(path): cannot append an event (\(error.localizedDescription))")
        }
    }
}
