import Foundation

/// Reads the stored (uncompressed) members of a zip archive, as torch.save
/// writes them. Zip64 records are understood; compressed members are an error.
/// Every offset and length comes from the file, so all reads go through ByteReader.
public struct ZipReader {
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "unreadable zip archive: \(reason)" }
    }

    public struct Member {
        public let name: String
        public let offset: Int
        public let size: Int
        public let method: Int
    }

    public let data: Data
    public private(set) var members: [String: Member] = [:]

    public init(_ data: Data) throws {
        self.data = data
        do { members = try Self.directory(data) } catch let error as ByteReader.Failure {
            throw Failure(reason: error.description)
        }
    }

    public func contents(_ name: String) throws -> Data {
        guard let m = members[name] else { throw Failure(reason: "no member \(name)") }
        guard m.method == 0 else {
            throw Failure(reason: "\(name) is compressed (method \(m.method)); only stored members are read")
        }
        return data.subdata(in: (data.startIndex + m.offset)..<(data.startIndex + m.offset + m.size))
    }

    /// The members the central directory lists, found through the end-of-directory record (or its zip64 form).
    static func directory(_ data: Data) throws -> [String: Member] {
        let n = data.count
        guard n >= 22 else { throw Failure(reason: "too short (\(n) bytes)") }
        var r = ByteReader(data)
        let eocd = try endOfDirectory(&r)
        try r.seek(to: eocd + 10, "the end-of-directory record")
        var count = Int(try r.u16("the entry count"))
        try r.seek(to: eocd + 16, "the end-of-directory record")
        var start = Int(try r.u32("the directory offset"))
        if eocd >= 20 {
            try r.seek(to: eocd - 20, "the zip64 locator")
            if try r.u32("the zip64 locator") == 0x0706_4b50 {
                try r.seek(to: eocd - 12, "the zip64 locator")
                let record = try bounded(r.u64("the zip64 record offset"), atMost: n)
                try r.seek(to: record, "the zip64 record")
                guard try r.u32("the zip64 record") == 0x0606_4b50 else { throw Failure(reason: "bad zip64 record") }
                try r.seek(to: record + 32, "the zip64 record")
                count = try bounded(r.u64("the zip64 entry count"), atMost: n / 46)  // an entry is ≥ 46 bytes
                try r.seek(to: record + 48, "the zip64 record")
                start = try bounded(r.u64("the zip64 directory offset"), atMost: n)
            }
        }
        try r.seek(to: start, "the central directory")
        var members: [String: Member] = [:]
        for _ in 0..<count {
            let member = try entry(&r)
            members[member.name] = member
        }
        return members
    }

    /// The end-of-directory record's offset: the last signature before the (≤ 64 KiB) comment.
    static func endOfDirectory(_ r: inout ByteReader) throws -> Int {
        let n = r.data.count
        for at in stride(from: n - 22, through: max(0, n - 22 - 65_536), by: -1) {
            try r.seek(to: at, "the end-of-directory record")
            if try r.u32("the end-of-directory record") == 0x0605_4b50 { return at }
        }
        throw Failure(reason: "no end-of-directory record (truncated?)")
    }

    /// One central directory entry (the reader is left at the next one) and its local header.
    static func entry(_ r: inout ByteReader) throws -> Member {
        let p = r.offset
        guard try r.u32("a central directory entry") == 0x0201_4b50 else {
            throw Failure(reason: "bad central directory entry at \(p)")
        }
        try r.seek(to: p + 10, "a central directory entry")
        let method = Int(try r.u16("the compression method"))
        try r.seek(to: p + 20, "a central directory entry")
        let size32 = try r.u32("the compressed size")
        let uncompressed32 = try r.u32("the uncompressed size")
        let nameLength = Int(try r.u16("the name length"))
        let extraLength = Int(try r.u16("the extra length"))
        let commentLength = Int(try r.u16("the comment length"))
        try r.seek(to: p + 42, "a central directory entry")
        let local32 = try r.u32("the local header offset")
        let name = String(decoding: try r.bytes(nameLength, "an entry name"), as: UTF8.self)
        var extra = ByteReader(try r.bytes(extraLength, "the extra field of \(name)"))
        _ = try r.bytes(commentLength, "the comment of \(name)")
        // Zip64 extra field: the sizes and offset that overflow 32 bits, in this order.
        let n = r.data.count
        var size = Int(size32)
        var local = Int(local32)
        while extra.remaining >= 4 {
            let id = try extra.u16("an extra field id")
            let length = Int(try extra.u16("an extra field length"))
            guard length <= extra.remaining else { throw Failure(reason: "bad extra field of \(name)") }
            var field = ByteReader(try extra.bytes(length, "an extra field"))
            guard id == 0x0001 else { continue }
            if uncompressed32 == 0xFFFF_FFFF { _ = try field.u64("the zip64 uncompressed size of \(name)") }
            if size32 == 0xFFFF_FFFF { size = try bounded(field.u64("the zip64 size of \(name)"), atMost: n) }
            if local32 == 0xFFFF_FFFF { local = try bounded(field.u64("the zip64 offset of \(name)"), atMost: n) }
        }
        var header = r
        try header.seek(to: local, "the local header of \(name)")
        guard try header.u32("the local header of \(name)") == 0x0403_4b50 else {
            throw Failure(reason: "bad local header of \(name)")
        }
        try header.seek(to: local + 26, "the local header of \(name)")
        let skip = Int(try header.u16("the local name length")) + Int(try header.u16("the local extra length"))
        let start = local + 30 + skip
        guard start <= n, size <= n - start else { throw Failure(reason: "\(name) extends past the end (truncated?)") }
        return Member(name: name, offset: start, size: size, method: method)
    }

    /// A 64-bit offset or count from the file, refused if it exceeds `limit`.
    static func bounded(_ value: UInt64, atMost limit: Int) throws -> Int {
        guard value <= UInt64(limit) else { throw Failure(reason: "\(value) lies past the end (truncated or corrupt)") }
        return Int(value)
    }
}
