import Foundation
import Support
import XCTest

/// The one dtype table the weight readers share: each format's name for a
/// dtype maps back to it, and every dtype decodes little-endian bytes.
final class WeightDTypeTests: XCTestCase {
    func testEachFormatNameMapsBack() {
        for type in WeightDType.allCases {
            XCTAssertEqual(WeightDType(safetensorsName: type.safetensorsName), type)
            XCTAssertEqual(WeightDType(torchStorageName: type.torchStorageName), type)
            XCTAssertEqual(WeightDType(mxnetTypeFlag: type.mxnetTypeFlag), type)
            if let numpy = type.numpyName { XCTAssertEqual(WeightDType(numpyName: numpy), type) }
        }
        XCTAssertNil(WeightDType(safetensorsName: "F8_E4M3"))
        XCTAssertNil(WeightDType(torchStorageName: "ComplexFloatStorage"))
        XCTAssertNil(WeightDType(mxnetTypeFlag: 8))
        XCTAssertNil(WeightDType(numpyName: "c8"))
        XCTAssertEqual(WeightDType(mxnetTypeFlag: 1)?.rawValue, "float64")
    }

    func testDecodesLittleEndianBytes() {
        func bytes<T>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }  // little-endian hosts
        let cases: [(WeightDType, Data, [Float])] = [
            (.float32, bytes([Float(1.5), -2]), [1.5, -2]),
            (.float64, bytes([0.25, -3.0]), [0.25, -3]),
            (.float16, Data([0x00, 0x3C, 0x00, 0xC0]), [1, -2]),
            (.bfloat16, Data([0x80, 0x3F, 0x00, 0xC0]), [1, -2]),
            (.int64, bytes([Int64(-3), 1 << 40]), [-3, 1_099_511_627_776]),
            (.int32, bytes([Int32(-7), 9]), [-7, 9]),
            (.int8, Data([0xFF, 0x05]), [-1, 5]),
            (.uint8, Data([0xFF, 0x05]), [255, 5]),
            (.bool, Data([0, 1]), [0, 1]),
        ]
        for (type, data, expected) in cases {
            XCTAssertEqual(type.floats(data), expected, "\(type)")
            // A slice (non-zero start index) and a trailing partial element.
            let padded = Data([0xAA]) + data + Data(repeating: 0, count: type.byteWidth - 1)
            XCTAssertEqual(type.floats(padded.dropFirst()), expected, "\(type), sliced")
        }
    }
}
