import Foundation
import Support
import XCTest

/// The field's CAM file (a .npy holding a pickled dict {class: H×W float32}):
/// files written by NumPy's np.save (scripts/numpy/cam_arrays.py) are read,
/// ours read back equal, and what is not such a dict is refused.
final class CAMArraysTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The fixture script's values: class c, pixel (y, x) → c + y/16 + x/256.
    func expectedMap(_ c: Int, height: Int, width: Int) -> [Float] {
        (0..<height).flatMap { y in (0..<width).map { x in Float(c) + Float(y) / 16 + Float(x) / 256 } }
    }

    func read(_ name: String) throws -> CAMArrays {
        try CAMArrays.parse([UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name))))
    }

    func testReadsNumPysDictWithIntKeys() throws {
        let cams = try read("cam_dict_numpy.npy")
        XCTAssertEqual(cams.classIndices, [2, 11, 19])
        XCTAssertEqual([cams.height, cams.width], [5, 7])
        for (c, map) in zip(cams.classIndices, cams.maps) { XCTAssertEqual(map, expectedMap(c, height: 5, width: 7)) }
    }

    func testReadsNumPyIntegerScalarKeys() throws {
        let cams = try read("cam_dict_numpy_int64_keys.npy")
        XCTAssertEqual(cams.classIndices, [0, 6])
        XCTAssertEqual(cams.maps[1], expectedMap(6, height: 3, width: 4))
    }

    func testWrittenFileReadsBackAndDensifies() throws {
        let dense: [Float] = (0..<(4 * 2 * 3)).map { Float($0) / 24 }
        let cams = dense.withUnsafeBufferPointer {
            CAMArrays(dense: $0, classes: 4, height: 2, width: 3, present: [false, true, false, true])
        }
        XCTAssertEqual(cams.classIndices, [1, 3])
        let back = try CAMArrays.parse([UInt8](cams.encoded()))
        XCTAssertEqual(back, cams)
        let expected = dense.enumerated().map { i, v in [1, 3].contains(i / 6) ? v : 0 }
        XCTAssertEqual(back.dense(classes: 4), expected)
        // An image without classes: an empty dict, still a valid file.
        let empty = CAMArrays(height: 2, width: 3, classIndices: [], maps: [])
        XCTAssertEqual(try CAMArrays.parse([UInt8](empty.encoded())).classIndices, [])
    }

    func testRefusesWhatIsNotADictOfMaps() throws {
        func refused(_ bytes: [UInt8], _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try CAMArrays.parse(bytes), file: file, line: line) {
                XCTAssertTrue("\($0)".contains(reason), "\($0)", file: file, line: line)
            }
        }
        let plain = [Float](repeating: 0, count: 6).withUnsafeBytes {
            NumpyFile.encode(descr: "<f4", shape: [1, 2, 3], payload: $0)
        }
        refused([UInt8](plain), "not a pickled dict")
        refused(Array("not numpy".utf8), "magic")
        var good = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("cam_dict_numpy.npy")))
        good.removeLast(40)
        XCTAssertThrowsError(try CAMArrays.parse(good))
        // Maps of two sizes in one file.
        let w = PickleTestWriter()
        refused(w.dict([(1, [2, 2]), (2, [2, 3])]), "another is")
        refused(w.dict([(1, [2, 2]), (1, [2, 2])]), "twice")
        refused(w.dict([(-1, [2, 2])]), "non-negative")
    }
}

/// CAM files with chosen keys and shapes, written through CAMArrays' own encoder
/// and then patched: the encoder itself refuses such inputs.
struct PickleTestWriter {
    func dict(_ entries: [(key: Int, shape: [Int])]) -> [UInt8] {
        // Encode valid files of one entry each and splice their dict items into one pickle.
        var items: [[UInt8]] = []
        var prefix: [UInt8] = []
        var suffix: [UInt8] = []
        for (n, e) in entries.enumerated() {
            let cams = CAMArrays(
                height: e.shape[0], width: e.shape[1], classIndices: [n + 1000],
                maps: [[Float](repeating: 0.5, count: e.shape[0] * e.shape[1])])
            let npy = try! NumpyFile.parse([UInt8](cams.encoded()))
            let p = npy.payload
            // The dict's items lie between EMPTY_DICT MARK (0x7D 0x28) and SETITEMS (0x75).
            let open = (0..<(p.count - 1)).first { p[$0] == 0x7D && p[$0 + 1] == 0x28 }! + 2
            let close = p.lastIndex(of: 0x75)!
            prefix = Array(p[..<open])
            suffix = Array(p[close...])
            var item = Array(p[open..<close])
            // The key was written as BININT2 1000+n (0x4D, 2 bytes): rewrite it as BININT (0x4A, 4 bytes).
            precondition(item[0] == 0x4D)
            item.replaceSubrange(0..<3, with: [0x4A] + withUnsafeBytes(of: Int32(e.key).littleEndian, Array.init))
            items.append(item)
        }
        let payload = prefix + items.flatMap { $0 } + suffix
        return [UInt8](payload.withUnsafeBytes { NumpyFile.encode(descr: "|O", shape: [], payload: $0) })
    }
}
