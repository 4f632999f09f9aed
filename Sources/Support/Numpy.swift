import Foundation

/// NumPy's .npy container: header dict and the payload that follows it.
public struct NumpyFile {
    public let descr: String
    public let shape: [Int]
    public let fortranOrder: Bool
    public let payload: [UInt8]

    /// A format-1.0 file: magic, header dict padded to 64 bytes, payload.
    public static func encode(descr: String, shape: [Int], payload: UnsafeRawBufferPointer) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        out.reserveCapacity(10 + header.utf8.count + payload.count)
        out.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: payload)
        return out
    }

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

    /// A numeric ndarray's shape and values as Float, checked: C order, little-endian (or
    /// order-free), and exactly as many bytes as the shape needs; nil otherwise.
    public static func array(_ value: PickleValue) -> (shape: [Int], values: [Float])? {
        guard case .build(_, let state) = value, let s = state.tuple, s.count >= 5,
            let dims = s[1].tuple?.compactMap(\.int), dims.count == s[1].tuple?.count,
            case .bool(false) = s[3], case .bytes(let raw) = s[4],
            let name = dtypeName(s[2]), let dtype = WeightDType(numpyName: name), byteOrder(s[2]) != ">"
        else { return nil }
        var count = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            count = product
        }
        guard raw.count / dtype.byteWidth == count, raw.count % dtype.byteWidth == 0 else { return nil }
        return (dims, raw.withUnsafeBytes { dtype.floats($0) })
    }

    /// The byte order of a BUILD-ed dtype ("<", "|", ">"), nil when not recorded.
    static func byteOrder(_ value: PickleValue) -> String? {
        guard case .build(_, let state) = value, let s = state.tuple, s.count > 1 else { return nil }
        return s[1].string
    }

    /// `dtype('f4', False, True)` (BUILD-ed with its byte-order state) → "f4".
    static func dtypeName(_ value: PickleValue) -> String? {
        var v = value
        if case .build(let obj, _) = v { v = obj }
        guard case .call(_, let args) = v, let first = args.first?.string else { return nil }
        return first
    }
}
