import Foundation

/// Reads an MXNet NDArray list (`mx.nd.save`, the `<prefix>-<epoch>.params` of
/// `mx.model.save_checkpoint`), such as the ImageNet ResNet-38 of ademxapp
/// (`ilsvrc-cls_rna-a1_cls1000_ep-0001.params`), and renames its tensors to the
/// official EPS / eps-dist state_dict names, as EPS's `convert_mxnet_to_torch` does.
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

    /// True when the first 16 bytes are the list magic 0x112 followed by the
    /// zero reserved word (the zero word tells it apart from a safetensors file
    /// whose JSON header happens to be 0x112 bytes long: its byte 8 is "{").
    static func hasMagic(_ head: Data) -> Bool {
        guard head.count >= 16 else { return false }
        let bytes = [UInt8](head.prefix(16))
        let magic = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        return magic == listMagic && bytes[8..<16].allSatisfy { $0 == 0 }
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
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> [(name: String, tensor: Tensor)] in
            var r = ByteReader(raw: raw, fail: fail)
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
                throw fail(nameCount == 0 ? "the \(count) arrays have no names (saved as a list, not a dict)"
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
    private static func readArray(_ r: inout ByteReader, index i: Int,
                                  fail: (String) -> WeightFileError) throws -> Tensor? {
        let what = "array #\(i)"
        let magic = try r.u32("the header of \(what)")
        var dims: [Int64] = []
        switch magic {
        case v2Magic, v3Magic:
            let storage = try r.i32("the storage type of \(what)")
            guard storage == 0 else { throw fail("\(what) has sparse storage (type \(storage)); only dense arrays are supported") }
            let ndim = try r.i32("the ndim of \(what)")
            if ndim == 0 && magic == v2Magic || ndim == -1 && magic == v3Magic { return nil }
            guard (0...32).contains(ndim) else { throw fail("\(what) has ndim \(ndim)") }
            for _ in 0..<ndim { dims.append(try r.i64("the shape of \(what)")) }
            if magic == v3Magic && dims.contains(-1) { return nil }   // unknown shape = none
        case v1Magic:
            let ndim = try r.i32("the ndim of \(what)")
            if ndim == 0 { return nil }
            guard (1...32).contains(ndim) else { throw fail("\(what) has ndim \(ndim)") }
            for _ in 0..<ndim { dims.append(try r.i64("the shape of \(what)")) }
        default:   // legacy: the word just read is ndim, dims are u32
            if magic == 0 { return nil }
            guard magic <= 32 else {
                throw fail("\(what) starts with 0x\(String(magic, radix: 16)): neither an NDArray magic nor a plausible ndim")
            }
            for _ in 0..<magic { dims.append(Int64(try r.u32("the shape of \(what)"))) }
        }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw fail("\(what) has shape \(dims)") }
        _ = try r.i32("the device type of \(what)")
        _ = try r.i32("the device id of \(what)")
        let typeFlag = try r.i32("the dtype of \(what)")
        guard typeFlag == 0 else {
            let names = [1: "float64", 2: "float16", 3: "uint8", 4: "int32", 5: "int8", 6: "int64", 7: "bool", 12: "bfloat16"]
            throw fail("\(what) has dtype \(names[Int(typeFlag)] ?? "?") (type flag \(typeFlag)); only float32 (0) is supported")
        }
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, p <= r.remaining / 4 else {
                throw fail("\(what) of shape \(dims) needs more bytes than are left (\(r.remaining)): truncated file")
            }
            count = p
        }
        let bytes = try r.bytes(4 * count, "the values of \(what)")
        // MXNet writes the host's (little-endian) float32 values as they are.
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
            initialized = count
        }
        return Tensor(shape: dims.map { Int($0) }, data: values, cached: false)
    }

    /// Strips `arg:`/`aux:`, drops the ImageNet classifier, maps every other name.
    static func rename(_ entries: [(name: String, tensor: Tensor)], path: String) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var unknown: [String] = []
        for (stored, tensor) in entries {
            var name = Substring(stored)
            if name.hasPrefix("arg:") || name.hasPrefix("aux:") { name = name.dropFirst(4) }
            let block = name.prefix { $0 != "_" }
            if block == "linear1000" || block == "fc1000" { continue }
            guard let target = stateDictName(String(name)) else { unknown.append(stored); continue }
            guard out[target] == nil else {
                throw WeightFileError(path: path, reason: "MXNet .params: two entries map to \(target)")
            }
            out[target] = tensor
        }
        guard unknown.isEmpty else {
            throw WeightFileError(path: path, reason: "MXNet .params: \(unknown.count) name(s) are not ademxapp "
                + "ResNet-38 names: " + unknown.prefix(10).joined(separator: ", ") + (unknown.count > 10 ? ", …" : ""))
        }
        return out
    }

    /// ademxapp name (no `arg:`/`aux:`) → state_dict name, nil if it is not one:
    /// `conv1a_weight` → `conv1a.weight`;
    /// `res<S>a_branch<X>_weight` → `b<S>.conv_branch<X>.weight`;
    /// `res<S>b<k>_branch<X>_weight` → `b<S>_<k>.conv_branch<X>.weight`;
    /// `bn<S>a_branch<X>_<p>` / `bn<S>b<k>_branch<X>_<p>` → `b<S>[_<k>].bn_branch<X>.<p'>`;
    /// `bn7_<p>` → `bn7.<p'>`; with p' = weight, bias, running_mean, running_var for
    /// p = gamma, beta, moving_mean, moving_var (the short mean/var are taken too,
    /// as the official converter only looks at the last `_` token).
    public static func stateDictName(_ name: String) -> String? {
        let bnParams = ["gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
                        "moving_var": "running_var", "mean": "running_mean", "var": "running_var"]
        let tokens = name.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard tokens.count >= 2 else { return nil }
        let rest = tokens.dropFirst().joined(separator: "_")
        if tokens[0] == "conv1a" { return rest == "weight" ? "conv1a.weight" : nil }
        if tokens[0] == "bn7" { return bnParams[rest].map { "bn7." + $0 } }
        // res<S>a / res<S>b<k> / bn<S>a / bn<S>b<k>, then branch<X>, then the parameter.
        let isConv = tokens[0].hasPrefix("res")
        guard isConv || tokens[0].hasPrefix("bn"), tokens.count >= 3, tokens[1].hasPrefix("branch"),
              tokens[1].count > "branch".count else { return nil }
        let id = tokens[0].dropFirst(isConv ? 3 : 2)
        let stage = id.prefix { $0.isASCII && $0.isNumber }
        let suffix = id.dropFirst(stage.count)
        guard !stage.isEmpty else { return nil }
        let module: String
        if suffix == "a" {
            module = "b\(stage)"
        } else if suffix.first == "b", suffix.count > 1, suffix.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) {
            module = "b\(stage)_\(suffix.dropFirst())"
        } else { return nil }
        let parameter = tokens.dropFirst(2).joined(separator: "_")
        if isConv { return parameter == "weight" ? "\(module).conv_\(tokens[1]).weight" : nil }
        return bnParams[parameter].map { "\(module).bn_\(tokens[1]).\($0)" }
    }
}

/// Bounds-checked little-endian reads; every failure names what was being read.
private struct ByteReader {
    let raw: UnsafeRawBufferPointer
    let fail: (String) -> WeightFileError
    var offset = 0

    var remaining: Int { raw.count - offset }

    mutating func bytes(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= remaining else {
            throw fail("truncated file: \(what) needs \(n) bytes at offset \(offset), only \(remaining) left")
        }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)])
    }
    mutating func u32(_ what: String) throws -> UInt32 { try UInt32(littleEndian: bytes(4, what).loadUnaligned(as: UInt32.self)) }
    mutating func i32(_ what: String) throws -> Int32 { try Int32(littleEndian: bytes(4, what).loadUnaligned(as: Int32.self)) }
    mutating func u64(_ what: String) throws -> UInt64 { try UInt64(littleEndian: bytes(8, what).loadUnaligned(as: UInt64.self)) }
    mutating func i64(_ what: String) throws -> Int64 { try Int64(littleEndian: bytes(8, what).loadUnaligned(as: Int64.self)) }

    /// A u64 count that cannot exceed what the rest of the file could hold.
    mutating func count(_ what: String, minBytesEach: Int) throws -> Int {
        let n = try u64(what)
        guard n <= UInt64(remaining / minBytesEach) else {
            throw fail("\(what) is \(n), more than the \(remaining) bytes left can hold: truncated or corrupt file")
        }
        return Int(n)
    }
}
