import Foundation
import Support
import XCTest

/// `LabelResize` against Pillow (scripts/make_segmentation_fixtures.py, Pillow 13).
final class LabelResizeTests: XCTestCase {
    func npy(_ name: String) throws -> NumpyFile { try Fixtures.npy(name) }

    /// Pillow's NEAREST (mode I in dlp's augmentation, F in its loss): each
    /// output pixel takes the source pixel the fixture names (value 1000·y + x).
    func testLabelNearestMatchesPillow() throws {
        let cases = [
            (40, 30, 30, 22), (37, 29, 55, 43), (321, 321, 41, 41), (161, 161, 21, 21), (241, 241, 31, 31),
            (29, 37, 21, 27), (7, 5, 100, 3), (24, 32, 30, 40),
        ]
        for (iw, ih, ow, oh) in cases {
            let expected = try npy("pilnearest_\(iw)x\(ih)_to_\(ow)x\(oh).npy")
            XCTAssertEqual(expected.descr, "<i4")
            XCTAssertEqual(expected.shape, [oh, ow])
            let pillow = expected.payload.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
            let rows = LabelResize.sourceIndices(input: ih, output: oh)
            let columns = LabelResize.sourceIndices(input: iw, output: ow)
            let ours = rows.flatMap { y in columns.map { x in Int32(1000 * y + x) } }
            XCTAssertEqual(ours, pillow, "\(iw)×\(ih) → \(ow)×\(oh)")
            // The label map itself: values y·iw + x modulo 251 through `nearest`.
            let map = (0..<(iw * ih)).map { UInt8($0 % 251) }
            let resized = LabelResize.nearest(map, height: ih, width: iw, toHeight: oh, toWidth: ow)
            XCTAssertEqual(resized, pillow.map { UInt8((Int($0) / 1000 * iw + Int($0) % 1000) % 251) })
        }
    }

}
