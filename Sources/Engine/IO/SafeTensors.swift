import Foundation
import Support

/// Reads and writes the safetensors format: 8-byte little-endian header
/// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__":
/// {string: string}}, then the raw little-endian data. Float32 tensors only
/// (every other dtype of `WeightDType` is converted to Float32 on read).
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
        return try WeightFileError.naming(path) {
            guard data.count >= 8 else { throw fail("shorter than its 8-byte header length") }
            var reader = ByteReader(data)
            let headerLength = try reader.u64("the header length")
            guard headerLength <= UInt64(reader.remaining), headerLength < 100_000_000 else {
                throw fail("header length \(headerLength) exceeds the file size \(data.count) (truncated?)")
            }
            let headerData = try reader.bytes(Int(headerLength), "the JSON header")
            guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
                throw fail("the JSON header does not parse")
            }
            let payload = try reader.bytes(reader.remaining, "the tensor data")
            var file = SafeTensorsFile(tensors: [:])
            var offsets: [(String, Int)] = []
            for (name, value) in header {
                if name == "__metadata__" {
                    for (k, v) in (value as? [String: Any]) ?? [:] { file.metadata[k] = "\(v)" }
                    continue
                }
                let (tensor, start) = try entry(name, value, payload: payload, fail: fail)
                file.tensors[name] = tensor
                offsets.append((name, start))
            }
            file.order = offsets.sorted { $0.1 < $1.1 }.map(\.0)
            return file
        }
    }

    /// One header entry's tensor and where its data starts in the payload.
    private static func entry(
        _ name: String, _ value: Any, payload: Data,
        fail: (String) -> WeightFileError
    ) throws -> (Tensor, Int) {
        guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
            let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
            let range = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
            range.count == 2
        else { throw fail("entry \(name) lacks dtype, shape or data_offsets") }
        guard shape.allSatisfy({ $0 >= 0 }), range[0] >= 0, range[0] <= range[1] else {
            throw fail("entry \(name) has a negative dimension or inverted data_offsets")
        }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product < 1 << 40 else { throw fail("entry \(name) has an impossible shape \(shape)") }
            count = product
        }
        guard let type = WeightDType(safetensorsName: dtype) else {
            throw fail("entry \(name) has unsupported dtype \(dtype)")
        }
        guard range[1] - range[0] == count * type.byteWidth, range[1] <= payload.count else {
            throw fail(
                "entry \(name) (\(dtype) \(shape)) lies outside the file or has the wrong byte count"
                    + " (truncated?)")
        }
        let bytes = payload[(payload.startIndex + range[0])..<(payload.startIndex + range[1])]
        return (Tensor(shape: shape, data: type.floats(bytes), cached: false), range[0])
    }
}
