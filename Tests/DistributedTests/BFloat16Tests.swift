import Distributed
import XCTest

/// bfloat16 encoding against a slow readable reference: of the two bf16
/// values around x, the nearer one, the even one on a tie.
final class BFloat16Tests: XCTestCase {
    static func reference(_ x: Float) -> UInt16 {
        let below = UInt16(x.bitPattern >> 16)  // truncation: towards zero
        let above = below &+ 1
        let (b, a) = (Double(BFloat16.decode(below)), Double(BFloat16.decode(above)))
        let (db, da) = (abs(Double(x) - b), abs(Double(x) - a))
        if db < da { return below }
        if da < db { return above }
        return below & 1 == 0 ? below : above
    }

    func testEncodingRoundsToNearestTiesToEven() {
        var generator = SystemRandomNumberGenerator()
        var values: [Float] = [0, -0, 1, -1, 1.00390625, 1.01171875, 3.1415927, 1e-38, -2.5e-39, 6.5e4, -1e30]
        for _ in 0..<200_000 {
            // Every exponent, every mantissa: random bit patterns of finite floats.
            let x = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))
            if x.isFinite && abs(x) < Float(bitPattern: 0x7F7F_0000) { values.append(x) }
        }
        for x in values {
            XCTAssertEqual(BFloat16.encode(x), Self.reference(x), "x = \(x) (bits \(String(x.bitPattern, radix: 16)))")
        }
    }

    func testTiesGoToTheEvenMantissa() {
        // 1 + 2⁻⁸ lies halfway between 1 (even) and 1 + 2⁻⁷ (odd): rounds down;
        // 1 + 3·2⁻⁸ lies halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ (even): rounds up.
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(1 + 1.0 / 256)), 1)
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(1 + 3.0 / 256)), 1 + 1.0 / 64)
    }

    func testSpecialValuesSurvive() {
        XCTAssertTrue(BFloat16.decode(BFloat16.encode(.nan)).isNaN)
        // A NaN whose payload sits only in the low 16 bits must not become ∞.
        XCTAssertTrue(BFloat16.decode(BFloat16.encode(Float(bitPattern: 0x7F80_0001))).isNaN)
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(.infinity)), .infinity)
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(-.infinity)), -.infinity)
        // Past bf16's largest finite value, rounding reaches ∞, as IEEE rounding does.
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(.greatestFiniteMagnitude)), .infinity)
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(-0.0)).sign, .minus)
    }

    func testBufferRoundTripAndAccumulate() {
        let xs: [Float] = [0.1, -2.75, 1000.5, 3e-5, 7]
        var encoded = [UInt16](repeating: 0, count: xs.count)
        BFloat16.encode(xs, to: &encoded, count: xs.count)
        var decoded = [Float](repeating: 0, count: xs.count)
        BFloat16.decode(encoded, to: &decoded, count: xs.count, scale: 0.5)
        for (x, y) in zip(xs, decoded) {
            XCTAssertEqual(y, BFloat16.decode(Self.reference(x)) * 0.5)
            XCTAssertLessThanOrEqual(abs(2 * y - x), abs(x) / 256, "bf16 keeps 8 significant bits")
        }
        // accumulate: inout = bf16(in + inout), element-wise.
        let other: [UInt16] = xs.map { BFloat16.encode($0 * 3) }
        var sums = encoded
        BFloat16.accumulate(other, into: &sums, count: xs.count)
        for i in xs.indices {
            XCTAssertEqual(sums[i], Self.reference(BFloat16.decode(encoded[i]) + BFloat16.decode(other[i])))
        }
    }
}
