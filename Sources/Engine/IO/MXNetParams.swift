import Foundation
import Support

/// Reads an MXNet NDArray list (`mx.nd.save`, the `<prefix>-<epoch>.params` of
/// `mx.model.save_checkpoint`), such as the ImageNet ResNet-38 of ademxapp
/// (`ilsvrc-cls_rna-a1_cls1000_ep-0001.params`), and renames its tensors to the
/// official EPS / eps-dist state_dict names (MXNetNames.swift), as EPS's `convert_mxnet_to_torch` does.
///
/// File layout (all little-endian; MXNet `NDArray::Save/Load` list form and
/// dmlc serializer, see scripts/mxnet/README.md):
///
///     u64 0x112 (list magic) · u64 reserved (0) · u64 count · count × NDArray
///     u64 name count (0 or count) · each: u64 byte length + UTF-8 bytes
///
/// One NDArray, by its first u32:
/// * 0xF993FAC9 (V2) / 0xF993FACA (V3, NumPy shape semantics): i32 storage type
///   (0 = dense; sparse is not supported), i32 ndim, ndim × i64 dims;
/// * 0xF993FAC8 (V1): i32 ndim, ndim × i64 dims;
/// * anything else (legacy, MXNet before ~0.9.5): that u32 is ndim, then ndim × u32 dims;
/// then, unless the array is "none" (ndim 0; V3: ndim -1), i32 dev_type, i32 dev_id,
/// i32 type flag (0 = float32), and the raw values.
public enum MXNetParams {
    static let listMagic: UInt64 = 0x112
    static let v1Magic: UInt32 = 0xF993_FAC8
    static let v2Magic: UInt32 = 0xF993_FAC9
    static let v3Magic: UInt32 = 0xF993_FACA

    /// True when the data starts with the list magic 0x112 followed by the
    /// zero reserved word (the zero word tells it apart from a safetensors file
    /// whose JSON header happens to be 0x112 bytes long: its byte 8 is "{").
    static func hasMagic(_ data: Data) -> Bool {
        var r = ByteReader(data)
        return (try? r.u64("the list magic")) == listMagic && (try? r.u64("the reserved word")) == 0
    }

    /// The tensors under their state_dict names (`b4_3.conv_branch2a.weight`,
    /// `b2.bn_branch2a.running_mean`, `bn7.weight`, …); the ImageNet classifier
    /// (`linear1000_*`, `fc1000_*`) is dropped.
    public static func read(_ path: String) throws -> [String: Tensor] {
        try read(WeightFiles.contents(path), path: path)
    }

    public static func read(_ data: Data, path: String) throws -> [String: Tensor] {
        try rename(parse(data, path: path), path: path)
    }

    /// The NDArrays with the names stored in the file (`arg:…`/`aux:…`), in file order.
    public static func parse(_ data: Data, path: String) throws -> [(name: String, tensor: Tensor)] {
        func fail(_ why: String) -> WeightFileError { .init(path: path, reason: "MXNet .params: " + why) }
        return try WeightFileError.naming(path, "MXNet .params: ") {
            var r = ByteReader(data)
            let magic = try r.u64("the list magic")
            guard magic == listMagic else {
                throw fail("bad magic 0x\(String(magic, radix: 16)) (expected 0x112): not an MXNet NDArray list")
            }
            _ = try r.u64("the reserved word")
            let count = try r.count("the array count", minBytesEach: 4)
            var arrays: [Tensor?] = []
            for i in 0..<count { arrays.append(try readArray(&r, index: i, fail: fail)) }
            let nameCount = try r.count("the name count", minBytesEach: 8)
            guard nameCount == count else {
                throw fail(
                    nameCount == 0
                        ? "the \(count) arrays have no names (saved as a list, not a dict)"
                        : "\(nameCount) names for \(count) arrays")
            }
            var out: [(name: String, tensor: Tensor)] = []
            for i in 0..<count {
                let length = try r.count("the length of name #\(i)", minBytesEach: 1)
                let name = try String(decoding: r.bytes(length, "name #\(i)"), as: UTF8.self)
                guard let tensor = arrays[i] else { throw fail("\(name) is an empty (none) array") }
                out.append((name, tensor))
            }
            return out
        }
    }

    /// One NDArray; nil for a "none" array (no context, dtype or data follow).
    private static func readArray(
        _ r: inout ByteReader, index i: Int,
        fail: (String) -> WeightFileError
    ) throws -> Tensor? {
        let what = "array #\(i)"
        let magic = try r.u32("the header of \(what)")
        var dims: [Int64] = []
        switch magic {
        case v2Magic, v3Magic:
            let storage = try r.i32("the storage type of \(what)")
            guard storage == 0 else {
                throw fail("\(what) has sparse storage (type \(storage)); only dense arrays are supported")
            }
            let ndim = try r.i32("the ndim of \(what)")
            if ndim == 0 && magic == v2Magic || ndim == -1 && magic == v3Magic { return nil }
            guard (0...32).contains(ndim) else { throw fail("\(what) has ndim \(ndim)") }
            for _ in 0..<ndim { dims.append(try r.i64("the shape of \(what)")) }
            if magic == v3Magic && dims.contains(-1) { return nil }  // unknown shape = none
        case v1Magic:
            let ndim = try r.i32("the ndim of \(what)")
            if ndim == 0 { return nil }
            guard (1...32).contains(ndim) else { throw fail("\(what) has ndim \(ndim)") }
            for _ in 0..<ndim { dims.append(try r.i64("the shape of \(what)")) }
        default:  // legacy: the word just read is ndim, dims are u32
            if magic == 0 { return nil }
            guard magic <= 32 else {
                throw fail(
                    "\(what) starts with 0x\(String(magic, radix: 16)): "
                        + "neither an NDArray magic nor a plausible ndim")
            }
            for _ in 0..<magic { dims.append(Int64(try r.u32("the shape of \(what)"))) }
        }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw fail("\(what) has shape \(dims)") }
        _ = try r.i32("the device type of \(what)")
        _ = try r.i32("the device id of \(what)")
        let typeFlag = try r.i32("the dtype of \(what)")
        let dtype = WeightDType(mxnetTypeFlag: typeFlag)
        guard dtype == .float32 else {
            let name = dtype?.rawValue ?? "?"
            throw fail("\(what) has dtype \(name) (type flag \(typeFlag)); only float32 (0) is supported")
        }
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, p <= r.remaining / 4 else {
                throw fail("\(what) of shape \(dims) needs more bytes than are left (\(r.remaining)): truncated file")
            }
            count = p
        }
        // MXNet writes the host's (little-endian) values as they are.
        let values = WeightDType.float32.floats(try r.bytes(4 * count, "the values of \(what)"))
        return Tensor(shape: dims.map { Int($0) }, data: values, cached: false)
    }
}
