import Foundation
import Support

extension SafeTensorsFile {
    /// Serialises in `order` (names missing from it are appended sorted).
    public func serialized() -> Data {
        let names = order.filter { tensors[$0] != nil } + tensors.keys.filter { !order.contains($0) }.sorted()
        let items = names.compactMap { name in tensors[name].map { (name: name, tensor: $0) } }
        var entries: [String] = []
        var offset = 0
        for (name, t) in items {
            let dtype: WeightDType = int64Names.contains(name) ? .int64 : .float32
            let end = offset + dtype.byteWidth * t.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append(
                "\(Self.jsonString(name)):{\"dtype\":\"\(dtype.safetensorsName)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        if !metadata.isEmpty {
            let meta = metadata.sorted { $0.key < $1.key }
                .map { "\(Self.jsonString($0.key)):\(Self.jsonString($0.value))" }
            entries.insert("\"__metadata__\":{\(meta.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (name, t) in items {
            if int64Names.contains(name) {
                t.values.map { Int64($0).littleEndian }.withUnsafeBytes { out.append(contentsOf: $0) }
            } else {
                t.withUnsafeBufferPointer { out.append(contentsOf: UnsafeRawBufferPointer($0)) }  // little-endian hosts
            }
        }
        return out
    }

    /// Writes atomically: a temp file in the same folder, fsync, rename.
    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }

    /// `s` as a JSON string literal (RFC 8259 escapes: quote, backslash and
    /// control characters; everything else is written as UTF-8).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
