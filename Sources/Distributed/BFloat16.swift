/// bfloat16 for compressed gradient averaging (`--allreduce-dtype bf16`): the
/// upper half of an IEEE float (sign, the same 8-bit exponent, 7 mantissa
/// bits), so it keeps float's range and halves the bytes on the wire, as
/// Horovod's fp16 compression does. Encoding rounds to nearest, ties to even;
/// NaN stays a (quiet) NaN, ±∞ stays, a finite value past bf16's largest
/// rounds to ±∞ (a step with a non-finite gradient is skipped downstream).
public enum BFloat16 {
    /// Branch-free (a select, not a jump), so the buffer loops below vectorise.
    @inline(__always)
    public static func encode(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
        let quietNaN = (bits >> 16) | 0x0040
        let isNaN = bits & 0x7FFF_FFFF > 0x7F80_0000
        return UInt16(truncatingIfNeeded: isNaN ? quietNaN : rounded)
    }

    @inline(__always)
    public static func decode(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// dst[i] = bf16(src[i]).
    public static func encode(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = encode(src[i]) }
    }

    /// dst[i] = float(src[i]) · scale.
    public static func decode(
        _ src: UnsafePointer<UInt16>, to dst: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1
    ) {
        for i in 0..<count { dst[i] = decode(src[i]) * scale }
    }

    /// The reduction MPI applies at every hop: inout[i] = bf16(float(in[i]) + float(inout[i])).
    /// Commutative, so every rank of a given rank count gets the same sums.
    public static func accumulate(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = encode(decode(src[i]) + decode(dst[i])) }
    }
}
