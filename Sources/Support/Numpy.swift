import Foundation

/// NumPy's .npy container: header dict and the payload that follows it.
public struct NumpyFile {
    public let descr: String
    public let shape: [Int]
    public let fortranOrder: Bool
    public let payload: [UInt8]

    public static func parse(_ data: [UInt8]) throws -> NumpyFile {
        guard data.count >= 10, data[0] == 0x93, Array(data[1...5]) == Array("NUMPY".utf8) else {
            throw PickleReader.Failure(reason: "not a .npy file (no \\x93NUMPY magic)")
        }
        var r = ByteReader(data)
        let header: String
        do {
            try r.seek(to: 6, "the version")
            let major = try r.u8("the major version")
            _ = try r.u8("the minor version")
            let length = major == 1 ? Int(try r.u16("the header length")) : Int(try r.u32("the header length"))
            header = String(decoding: try r.bytes(length, "the header"), as: UTF8.self)
        } catch {
            throw PickleReader.Failure(reason: ".npy header is truncated (\(error))")
        }
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        let descr = field("descr").flatMap { $0.split(separator: "'").first.map(String.init) } ?? ""
        let shapeText =
            field("shape").flatMap { s -> String? in
                guard let open = s.firstIndex(of: "(") else { return nil }
                let inside = s[s.index(after: open)...]
                return inside.firstIndex(of: ")").map { String(inside[..<$0]) }
            } ?? ""
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return NumpyFile(
            descr: descr, shape: shape, fortranOrder: field("fortran_order")?.hasPrefix("True") ?? false,
            payload: Array(data[r.offset...]))
    }
}

/// Arrays inside pickles made by NumPy: ndarray objects are
/// `_reconstruct(ndarray, (0,), b'b')` followed by BUILD with the state
/// (version, shape, dtype, fortran_order, data).
public enum NumpyPickle {
    /// The objects of a pickled object array (np.save of a dict gives one).
    public static func objects(_ value: PickleValue) -> [PickleValue]? {
        guard case .build(_, let state) = value, let s = state.tuple, s.count >= 5 else { return nil }
        return s[4].tuple
    }

    /// A numeric ndarray as Float values (f4, f8, i8, i4, u1, b1; little-endian).
    public static func floats(_ value: PickleValue) -> [Float]? {
        guard case .build(_, let state) = value, let s = state.tuple, s.count >= 5 else { return nil }
        guard case .bytes(let raw) = s[4] else { return nil }
        guard let name = dtypeName(s[2]), let dtype = WeightDType(numpyName: name) else { return nil }
        return raw.withUnsafeBytes { dtype.floats($0) }
    }

    /// `dtype('f4', False, True)` (BUILD-ed with its byte-order state) → "f4".
    static func dtypeName(_ value: PickleValue) -> String? {
        var v = value
        if case .build(let obj, _) = v { v = obj }
        guard case .call(_, let args) = v, let first = args.first?.string else { return nil }
        return first
    }
}
