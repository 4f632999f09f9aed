import Foundation

/// Reads the stored (uncompressed) members of a zip archive, as torch.save
/// writes them. Zip64 records are understood; compressed members are an error.
public struct ZipReader {
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "unreadable zip archive: \(reason)" }
    }

    public struct Member { public let name: String; public let offset: Int; public let size: Int; public let method: Int }

    public let data: Data
    public private(set) var members: [String: Member] = [:]

    public init(_ data: Data) throws {
        self.data = data
        try readDirectory()
    }

    func u16(_ at: Int) -> Int { Int(data[data.startIndex + at]) | Int(data[data.startIndex + at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }

    mutating func readDirectory() throws {
        let n = data.count
        guard n >= 22 else { throw Failure(reason: "too short (\(n) bytes)") }
        var eocd = -1
        var i = n - 22
        while i >= max(0, n - 22 - 65_536) {
            if u32(i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw Failure(reason: "no end-of-directory record (truncated?)") }
        var count = u16(eocd + 10)
        var directory = u32(eocd + 16)
        if eocd >= 20, u32(eocd - 20) == 0x0706_4b50 {          // zip64 locator
            let record = u64(eocd - 20 + 8)
            guard record + 56 <= n, u32(record) == 0x0606_4b50 else { throw Failure(reason: "bad zip64 record") }
            count = u64(record + 32)
            directory = u64(record + 48)
        }
        var p = directory
        for _ in 0..<count {
            guard p + 46 <= n, u32(p) == 0x0201_4b50 else { throw Failure(reason: "bad central directory entry at \(p)") }
            let method = u16(p + 10)
            var size = u32(p + 20)
            let nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32)
            var local = u32(p + 42)
            guard p + 46 + nameLength <= n else { throw Failure(reason: "entry name outside the file") }
            let name = String(decoding: data[(data.startIndex + p + 46)..<(data.startIndex + p + 46 + nameLength)], as: UTF8.self)
            // Zip64 extra field: sizes and offset that overflow 32 bits.
            var e = p + 46 + nameLength
            let end = e + extraLength
            guard end + commentLength <= n else { throw Failure(reason: "entry \(name) runs past the end (truncated?)") }
            while e + 4 <= end {
                let id = u16(e), length = u16(e + 2)
                guard e + 4 + length <= end else { throw Failure(reason: "bad extra field of \(name)") }
                if id == 0x0001 {
                    var q = e + 4
                    if u32(p + 24) == 0xFFFF_FFFF { q += 8 }                       // uncompressed size
                    if u32(p + 20) == 0xFFFF_FFFF { size = u64(q); q += 8 }
                    if u32(p + 42) == 0xFFFF_FFFF { local = u64(q) }
                }
                e += 4 + length
            }
            guard local + 30 <= n, u32(local) == 0x0403_4b50 else { throw Failure(reason: "bad local header of \(name)") }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + size <= n else { throw Failure(reason: "\(name) extends past the end (truncated?)") }
            members[name] = Member(name: name, offset: start, size: size, method: method)
            p += 46 + nameLength + extraLength + commentLength
        }
    }

    public func contents(_ name: String) throws -> Data {
        guard let m = members[name] else { throw Failure(reason: "no member \(name)") }
        guard m.method == 0 else { throw Failure(reason: "\(name) is compressed (method \(m.method)); only stored members are read") }
        return data.subdata(in: (data.startIndex + m.offset)..<(data.startIndex + m.offset + m.size))
    }
}
