import Foundation
import Support

/// Reads a PyTorch state dict saved by `torch.save(model.state_dict(), f)`
/// (zip archive: <prefix>/data.pkl + <prefix>/data/<key> storages) without
/// Python: the pickle names each tensor as
/// `_rebuild_tensor_v2(persistent('storage', <Type>Storage, key, device, numel), offset, size, stride, ...)`.
/// A checkpoint dict holding the state dict under "state_dict" or "model" works too.
public enum TorchCheckpoint {
    public static func read(_ path: String) throws -> [String: Tensor] {
        try read(WeightFiles.contents(path), path: path)
    }

    public static func read(_ data: Data, path: String) throws -> [String: Tensor] {
        func fail(_ why: String) -> WeightFileError { .init(path: path, reason: why) }
        let zip: ZipReader
        do { zip = try ZipReader(data) } catch {
            throw fail("not a zip-format PyTorch file (\(error)); re-save it with torch.save in PyTorch ≥ 1.6")
        }
        guard let pkl = zip.members.keys.first(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) else {
            throw fail("no data.pkl in the archive")
        }
        let prefix = String(pkl.dropLast("data.pkl".count))
        let root: PickleValue
        do { root = try PickleReader.parse([UInt8](try zip.contents(pkl))) } catch { throw fail("\(error)") }
        guard var dict = Self.dictionary(root) else { throw fail("the pickle is not a dict of tensors") }
        for key in ["state_dict", "model"] {
            if let inner = dict.entries.first(where: { $0.0.string == key }).flatMap({ Self.dictionary($0.1) }) { dict = inner }
        }
        var tensors: [String: Tensor] = [:]
        for (key, value) in dict.entries {
            guard let name = key.string else { continue }
            guard let tensor = try Self.tensor(value, zip: zip, prefix: prefix, path: path) else {
                throw fail("entry \(name) is not a tensor")
            }
            tensors[name] = tensor
        }
        return tensors
    }

    static func dictionary(_ v: PickleValue) -> PickleDict? {
        switch v {
        case .dict(let d): return d
        case .build(let obj, _): return dictionary(obj)
        default: return nil
        }
    }

    static func tensor(_ value: PickleValue, zip: ZipReader, prefix: String, path: String) throws -> Tensor? {
        guard case .call(.global(_, let function), let args) = value, function.hasPrefix("_rebuild_tensor"), args.count >= 4,
              case .persistent(let pid) = args[0], let storage = pid.tuple, storage.count >= 5,
              case .global(_, let storageType) = storage[1], let key = storage[2].string,
              let offset = args[1].int, let size = args[2].tuple?.compactMap(\.int), let stride = args[3].tuple?.compactMap(\.int)
        else { return nil }
        let raw = try zip.contents("\(prefix)data/\(key)")
        let width: Int
        switch storageType {
        case "FloatStorage": width = 4
        case "DoubleStorage", "LongStorage": width = 8
        case "HalfStorage", "BFloat16Storage": width = 2
        case "IntStorage": width = 4
        case "ByteStorage", "BoolStorage", "CharStorage": width = 1
        default: throw WeightFileError(path: path, reason: "unsupported storage type \(storageType)")
        }
        func element(_ i: Int) -> Float {
            raw.withUnsafeBytes { p in
                let at = i * width
                switch storageType {
                case "FloatStorage": return Float(bitPattern: p.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                case "DoubleStorage": return Float(Double(bitPattern: p.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian))
                case "LongStorage": return Float(Int64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int64.self)))
                case "IntStorage": return Float(Int32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                case "HalfStorage": return Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian))
                case "BFloat16Storage": return Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian) << 16)
                default: return Float(p[at])
                }
            }
        }
        let count = size.reduce(1, *)
        // Walk the (possibly strided) view in row-major order.
        var values = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: size.count)
        for i in 0..<count {
            var at = offset
            for d in 0..<size.count { at += index[d] * stride[d] }
            guard (at + 1) * width <= raw.count else {
                throw WeightFileError(path: path, reason: "storage \(key) is shorter than its tensor (truncated?)")
            }
            values[i] = element(at)
            var d = size.count - 1
            while d >= 0 { index[d] += 1; if index[d] < size[d] { break }; index[d] = 0; d -= 1 }
        }
        return Tensor(shape: size, data: values, cached: false)
    }
}
