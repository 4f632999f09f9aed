import Foundation
import Support

/// Reads and writes the safetensors format: 8-byte little-endian header
/// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__":
/// {string: string}}, then the raw little-endian data. Float32 tensors only
/// (F16/F64/I64 are converted to Float32 on read).
public struct SafeTensorsFile {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]
    /// Names in file order (by data offset).
    public var order: [String]
    /// Tensors to store as I64 instead of F32 (BN num_batches_tracked, so a
    /// checkpoint loads into PyTorch with strict=True unchanged).
    public var int64Names: Set<String> = []

    public init(tensors: [String: Tensor], metadata: [String: String] = [:], order: [String]? = nil) {
        self.tensors = tensors
        self.metadata = metadata
        self.order = order ?? tensors.keys.sorted()
    }

    public static func read(_ path: String) throws -> SafeTensorsFile {
        try parse(WeightFiles.contents(path), path: path)
    }

    public static func parse(_ data: Data, path: String) throws -> SafeTensorsFile {
        func fail(_ why: String) -> WeightFileError { WeightFileError(path: path, reason: why) }
        guard data.count >= 8 else { throw fail("shorter than its 8-byte header length") }
        let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard headerLength < UInt64(data.count - 8) + 1, headerLength < 100_000_000 else {
            throw fail("header length \(headerLength) exceeds the file size \(data.count) (truncated?)")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw fail("the JSON header does not parse")
        }
        let base = 8 + Int(headerLength)
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        var offsets: [(String, Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = "\(v)" }
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let range = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  range.count == 2 else { throw fail("entry \(name) lacks dtype, shape or data_offsets") }
            guard shape.allSatisfy({ $0 >= 0 }), range[0] >= 0, range[0] <= range[1] else {
                throw fail("entry \(name) has a negative dimension or inverted data_offsets")
            }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product < 1 << 40 else { throw fail("entry \(name) has an impossible shape \(shape)") }
                count = product
            }
            let width: Int
            switch dtype {
            case "F32", "I32": width = 4
            case "F64", "I64": width = 8
            case "F16", "BF16": width = 2
            case "U8", "BOOL", "I8": width = 1
            default: throw fail("entry \(name) has unsupported dtype \(dtype)")
            }
            guard range[1] - range[0] == count * width, range[0] >= 0, base + range[1] <= data.count else {
                throw fail("entry \(name) (\(dtype) \(shape)) lies outside the file or has the wrong byte count (truncated?)")
            }
            let bytes = data.subdata(in: (base + range[0])..<(base + range[1]))
            let values: [Float] = bytes.withUnsafeBytes { raw in
                (0..<count).map { i in
                    switch dtype {
                    case "F32": return Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                    case "F64": return Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian))
                    case "I64": return Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                    case "I32": return Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                    case "F16": return Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
                    case "BF16": return Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
                    default: return Float(raw[i])
                    }
                }
            }
            tensors[name] = Tensor(shape: shape, data: values, cached: false)
            offsets.append((name, range[0]))
        }
        return SafeTensorsFile(tensors: tensors, metadata: metadata, order: offsets.sorted { $0.1 < $1.1 }.map(\.0))
    }

    /// Serialises in `order` (names missing from it are appended sorted).
    public func serialized() -> Data {
        let names = order.filter { tensors[$0] != nil } + tensors.keys.filter { !order.contains($0) }.sorted()
        var entries: [String] = []
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let width = int64Names.contains(name) ? 8 : 4
            entries.append("\(Self.jsonString(name)):{\"dtype\":\"\(width == 8 ? "I64" : "F32")\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + width * t.count)]}")
            offset += width * t.count
        }
        if !metadata.isEmpty {
            let meta = metadata.keys.sorted().map { "\(Self.jsonString($0)):\(Self.jsonString(metadata[$0]!))" }
            entries.insert("\"__metadata__\":{\(meta.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names {
            if int64Names.contains(name) {
                tensors[name]!.values.map { Int64($0).littleEndian }.withUnsafeBytes { out.append(contentsOf: $0) }
            } else {
                tensors[name]!.withUnsafeBufferPointer { out.append(contentsOf: UnsafeRawBufferPointer($0)) }  // little-endian hosts
            }
        }
        return out
    }

    /// Writes atomically: a temp file in the same folder, fsync, rename.
    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }

    static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }
}
