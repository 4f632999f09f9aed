import Foundation

/// The element types stored in weight files, with each format's name for
/// them, so that safetensors, PyTorch storages, MXNet arrays (and NumPy arrays)
/// are decoded by one table instead of one switch per reader.
public enum WeightDType: String, CaseIterable, Sendable {
    case float32, float64, float16, bfloat16, int64, int32, int8, uint8, bool

    public var byteWidth: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// The safetensors header's `dtype`.
    public var safetensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float64: return "F64"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    /// The storage class a torch.save pickle names (`torch.FloatStorage`, …).
    public var torchStorageName: String {
        switch self {
        case .float32: return "FloatStorage"
        case .float64: return "DoubleStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .int8: return "CharStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        }
    }

    /// MXNet's NDArray type flag (mshadow `TypeFlag`).
    public var mxnetTypeFlag: Int32 {
        switch self {
        case .float32: return 0
        case .float64: return 1
        case .float16: return 2
        case .uint8: return 3
        case .int32: return 4
        case .int8: return 5
        case .int64: return 6
        case .bool: return 7
        case .bfloat16: return 12
        }
    }

    /// The NumPy `descr` kind the label reader accepts (nil: not read from NumPy files).
    public var numpyName: String? {
        switch self {
        case .float32: return "f4"
        case .float64: return "f8"
        case .int64: return "i8"
        case .int32: return "i4"
        case .uint8: return "u1"
        case .bool: return "b1"
        case .float16, .bfloat16, .int8: return nil
        }
    }

    public init?(safetensorsName name: String) { self.init(where: { $0.safetensorsName == name }) }
    public init?(torchStorageName name: String) { self.init(where: { $0.torchStorageName == name }) }
    public init?(mxnetTypeFlag flag: Int32) { self.init(where: { $0.mxnetTypeFlag == flag }) }
    public init?(numpyName name: String) { self.init(where: { $0.numpyName == name }) }

    private init?(where matches: (WeightDType) -> Bool) {
        guard let found = Self.allCases.first(where: matches) else { return nil }
        self = found
    }

    /// The little-endian values in `bytes` as Float; a trailing partial element is ignored.
    public func floats(_ bytes: Data) -> [Float] {
        bytes.withUnsafeBytes { floats($0) }
    }

    public func floats(_ raw: UnsafeRawBufferPointer) -> [Float] {
        let count = raw.count / byteWidth
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if self == .float32 && 1.littleEndian == 1 {  // the bytes are the values already
                let values = UnsafeRawBufferPointer(rebasing: raw[..<(4 * count)])
                UnsafeMutableRawBufferPointer(out).copyMemory(from: values)
            } else {
                for i in 0..<count { out[i] = element(raw, at: i * byteWidth) }
            }
            initialized = count
        }
    }

    @inline(__always)
    private func element(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Float {
        func load<T: FixedWidthInteger>(_: T.Type) -> T {
            T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        switch self {
        case .float32: return Float(bitPattern: load(UInt32.self))
        case .float64: return Float(Double(bitPattern: load(UInt64.self)))
        case .float16: return Float(Float16(bitPattern: load(UInt16.self)))
        case .bfloat16: return Float(bitPattern: UInt32(load(UInt16.self)) << 16)
        case .int64: return Float(load(Int64.self))
        case .int32: return Float(load(Int32.self))
        case .int8: return Float(load(Int8.self))
        case .uint8, .bool: return Float(load(UInt8.self))
        }
    }
}
