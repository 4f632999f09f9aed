import Foundation

/// The few pickle opcodes (protocol 4, no memo, no frames) that NumPy's
/// object arrays need, written by hand so that no Python runs: the reader of
/// the same subset is `PickleReader`.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 4]  // PROTO 4

    mutating func op(_ code: UInt8) { bytes.append(code) }

    mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// GLOBAL: "module\nname\n".
    mutating func global(_ module: String, _ name: String) {
        op(0x63)
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    /// BININT1, BININT2 or BININT (then LONG1 for what exceeds 32 bits).
    mutating func int(_ value: Int) {
        switch value {
        case 0...0xff:
            op(0x4B)
            bytes.append(UInt8(value))
        case 0...0xffff:
            op(0x4D)
            littleEndian(UInt16(value))
        case Int(Int32.min)...Int(Int32.max):
            op(0x4A)
            littleEndian(Int32(value))
        default:
            op(0x8A)  // LONG1: 8 two's-complement bytes
            bytes.append(8)
            littleEndian(Int64(value))
        }
    }

    /// BINUNICODE.
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        op(0x58)
        littleEndian(UInt32(utf8.count))
        bytes += utf8
    }

    /// BINBYTES8 (any length).
    mutating func binary(_ raw: UnsafeRawBufferPointer) {
        op(0x8E)
        littleEndian(UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }

    mutating func none() { op(0x4E) }
    mutating func bool(_ b: Bool) { op(b ? 0x88 : 0x89) }
    mutating func mark() { op(0x28) }
    /// TUPLE of everything since the last mark.
    mutating func tupleFromMark() { op(0x74) }
    mutating func reduce() { op(0x52) }
    mutating func build() { op(0x62) }
    mutating func stop() { op(0x2E) }
}

/// NumPy's pickled ndarray: `_reconstruct(ndarray, (0,), b'b')`, then BUILD
/// with the state (1, shape, dtype, fortran_order, data). The module name is
/// NumPy 1's `numpy.core.multiarray`, which NumPy 2 reads too.
extension PickleWriter {
    /// `dtype(descr without byte order, False, True)` with its state (3, order, …, flags).
    mutating func dtype(_ kind: String, order: String, flags: Int) {
        global("numpy", "dtype")
        mark()
        string(kind)
        bool(false)
        bool(true)
        tupleFromMark()
        reduce()
        mark()
        int(3)
        string(order)
        none()
        none()
        none()
        int(-1)
        int(-1)
        int(flags)
        tupleFromMark()
        build()
    }

    /// Opens an ndarray of `shape`; the caller pushes the dtype and the data, then calls `closeArray`.
    mutating func openArray(shape: [Int]) {
        global("numpy.core.multiarray", "_reconstruct")
        global("numpy", "ndarray")
        mark()
        int(0)
        tupleFromMark()
        op(0x43)  // SHORT_BINBYTES b'b'
        bytes += [1, 0x62]
        op(0x87)  // TUPLE3
        reduce()
        mark()
        int(1)
        mark()
        for d in shape { int(d) }
        tupleFromMark()
    }

    /// fortran_order False, then the state tuple and BUILD (the data was pushed by the caller).
    mutating func closeArray() {
        tupleFromMark()
        build()
    }

    /// A C-order float32 array.
    mutating func float32Array(_ values: [Float], shape: [Int]) {
        openArray(shape: shape)
        dtype("f4", order: "<", flags: 0)
        bool(false)
        values.withUnsafeBytes { binary($0) }
        closeArray()
    }
}
