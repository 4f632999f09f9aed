import Foundation

/// A bounds-checked little-endian cursor over file bytes, so that no binary
/// reader can run past the end of a truncated or corrupt file: every read
/// either succeeds or throws a `Failure` naming what was read and where.
public struct ByteReader {
    public struct Failure: Error, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "truncated at offset \(offset): \(reason)" }
    }

    /// The bytes, with offsets counted from their first byte (also for a slice).
    public let data: Data
    public private(set) var offset = 0

    public init(_ data: Data) { self.data = data }
    public init(_ bytes: [UInt8]) { self.data = Data(bytes) }

    public var remaining: Int { data.count - offset }

    /// Moves the cursor to an absolute offset inside the data.
    public mutating func seek(to position: Int, _ what: String) throws {
        guard position >= 0, position <= data.count else {
            throw Failure(offset: offset, reason: "\(what) at offset \(position) lies outside the \(data.count) bytes")
        }
        offset = position
    }

    /// The next `n` bytes, as a slice of `data` (not copied: its indices are the slice's own).
    public mutating func bytes(_ n: Int, _ what: String) throws -> Data {
        try need(n, what)
        defer { offset += n }
        let start = data.startIndex + offset
        return data[start..<(start + n)]
    }

    public mutating func u8(_ what: String) throws -> UInt8 { try load(what) }
    public mutating func u16(_ what: String) throws -> UInt16 { try load(what) }
    public mutating func u32(_ what: String) throws -> UInt32 { try load(what) }
    public mutating func i32(_ what: String) throws -> Int32 { try load(what) }
    public mutating func u64(_ what: String) throws -> UInt64 { try load(what) }
    public mutating func i64(_ what: String) throws -> Int64 { try load(what) }

    /// A u64 count of items that each take at least `minBytesEach` bytes; a
    /// count the rest of the data cannot hold is refused before anything is allocated.
    public mutating func count(_ what: String, minBytesEach: Int) throws -> Int {
        let start = offset
        let n = try u64(what)
        guard n <= UInt64(remaining / max(1, minBytesEach)) else {
            throw Failure(offset: start, reason: "\(what) is \(n), more than the \(remaining) bytes left can hold")
        }
        return Int(n)
    }

    private func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw Failure(offset: offset, reason: "\(what) needs \(n) bytes, only \(remaining) left")
        }
    }

    private mutating func load<T: FixedWidthInteger>(_ what: String) throws -> T {
        let size = MemoryLayout<T>.size
        try need(size, what)
        defer { offset += size }
        return T(littleEndian: data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) })
    }
}
