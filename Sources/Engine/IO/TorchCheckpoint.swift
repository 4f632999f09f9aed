import Foundation
import Support

/// Reads a PyTorch state dict saved by `torch.save(model.state_dict(), f)`
/// (zip archive: <prefix>/data.pkl + <prefix>/data/<key> storages) without
/// Python: the pickle names each tensor as `_rebuild_tensor_v2(persistent('storage',
/// <Type>Storage, key, device, numel), offset, size, stride, ...)`.
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
        return try WeightFileError.naming(path) {  // zip members and the pickle know no path
            guard let pkl = zip.members.keys.first(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) else {
                throw fail("no data.pkl in the archive")
            }
            let prefix = String(pkl.dropLast("data.pkl".count))
            let root = try PickleReader.parse([UInt8](try zip.contents(pkl)))
            guard var dict = Self.dictionary(root) else { throw fail("the pickle is not a dict of tensors") }
            for key in ["state_dict", "model"] {
                if let inner = dict.entries.first(where: { $0.0.string == key }).flatMap({ Self.dictionary($0.1) }) {
                    dict = inner
                }
            }
            var tensors: [String: Tensor] = [:]
            for (key, value) in dict.entries {
                guard let name = key.string else { continue }
                guard let tensor = try Self.tensor(value, zip: zip, prefix: prefix, fail: fail) else {
                    throw fail("entry \(name) is not a tensor")
                }
                tensors[name] = tensor
            }
            return tensors
        }
    }

    static func dictionary(_ v: PickleValue) -> PickleDict? {
        switch v {
        case .dict(let d): return d
        case .build(let obj, _): return dictionary(obj)
        default: return nil
        }
    }

    /// A `_rebuild_tensor*` call as a Tensor; nil if `value` is not one.
    static func tensor(
        _ value: PickleValue, zip: ZipReader, prefix: String,
        fail: (String) -> WeightFileError
    ) throws -> Tensor? {
        guard case .call(.global(_, let function), let args) = value, function.hasPrefix("_rebuild_tensor"),
            args.count >= 4, case .persistent(let pid) = args[0], let storage = pid.tuple, storage.count >= 5,
            case .global(_, let storageType) = storage[1], let key = storage[2].string,
            let offset = args[1].int, let size = ints(args[2]), let stride = ints(args[3])
        else { return nil }
        guard let dtype = WeightDType(torchStorageName: storageType) else {
            throw fail("unsupported storage type \(storageType)")
        }
        let values = dtype.floats(try zip.contents("\(prefix)data/\(key)"))
        guard size.count == stride.count, offset >= 0, size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 })
        else { throw fail("tensor on storage \(key) has size \(size), stride \(stride), offset \(offset)") }
        // Every element lies in the storage, and a state dict holds no broadcast views (no more elements than
        // the storage has): both checked with overflow, before anything is allocated.
        var count = 1
        var last = offset
        for (n, step) in Swift.zip(size, stride) {
            let (c, o1) = count.multipliedReportingOverflow(by: n)
            let (span, o2) = max(n - 1, 0).multipliedReportingOverflow(by: step)
            let (l, o3) = last.addingReportingOverflow(span)
            guard !o1, !o2, !o3 else { throw fail("storage \(key) is shorter than its tensor (truncated?)") }
            count = c
            last = l
        }
        guard count == 0 || (count <= values.count && last < values.count) else {
            throw fail("storage \(key) is shorter than its tensor (truncated?)")
        }
        return Tensor(
            shape: size, data: gather(values, offset: offset, size: size, stride: stride, count: count),
            cached: false)
    }

    /// The elements of a strided view, in row-major order (bounds checked by the caller).
    static func gather(_ storage: [Float], offset: Int, size: [Int], stride: [Int], count: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: size.count)
        for i in 0..<count {
            var at = offset
            for d in 0..<size.count { at += index[d] * stride[d] }
            values[i] = storage[at]
            var d = size.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < size[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return values
    }

    /// A tuple of ints, or nil if any element is not an int.
    static func ints(_ value: PickleValue) -> [Int]? {
        guard let items = value.tuple else { return nil }
        let values = items.compactMap(\.int)
        return values.count == items.count ? values : nil
    }
}
