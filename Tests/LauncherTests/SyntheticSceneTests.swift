import Data
import Foundation
import Launcher
import XCTest

/// The scene generators of `synth`: the easy one stays as it was; the hard one
/// is deterministic, VOC-sized, has 1–3 objects and its contexts (rails,
/// water, sky) both with and without their objects.
final class SyntheticSceneTests: XCTestCase {
    /// FNV-1a over every plane of a scene (sizes and pixels) and its classes.
    static func contentHash(_ s: SyntheticWriter.ScenePixels) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ bytes: [UInt8]) {
            for b in bytes {
                h ^= UInt64(b)
                h &*= 0x0000_0100_0000_01b3
            }
        }
        for plane in [s.image, s.groundTruth, s.saliency, s.context] {
            add([
                UInt8(plane.width & 255), UInt8(plane.width >> 8), UInt8(plane.height & 255), UInt8(plane.height >> 8),
            ])
            add(plane.pixels)
        }
        add(s.classIndices.map { UInt8($0) })
        return h
    }

    /// Hashes of easy scenes (seed 7, images 0–3) computed on main before the
    /// hard generator was added: `--difficulty easy` must keep writing them.
    func testEasyScenesAreUnchanged() {
        let expected: [Double: [UInt64]] = [
            1: [0x0763_78cd_5401_6b68, 0x69e5_b9f0_b3ec_b49d, 0x72c5_51ea_1919_8be9, 0x3f8e_f194_316f_323d],
            3: [0xef0e_3dcb_509b_9885, 0xbdd5_0f5f_ac87_51c2, 0xd69d_d544_bc71_003b, 0x0962_daec_1144_f061],
        ]
        for (scale, hashes) in expected {
            let got = (0..<4).map {
                Self.contentHash(SyntheticWriter.scene(seed: 7, index: $0, difficulty: .easy, scale: scale))
            }
            XCTAssertEqual(got, hashes, "easy scenes at scale \(scale) changed")
        }
    }

    func testHardScenesAreDeterministicForASeed() {
        for index in 0..<3 {
            let a = SyntheticWriter.scene(seed: 11, index: index, difficulty: .hard)
            let b = SyntheticWriter.scene(seed: 11, index: index, difficulty: .hard)
            XCTAssertEqual(a.image, b.image)
            XCTAssertEqual(a.groundTruth, b.groundTruth)
            XCTAssertEqual(a.saliency, b.saliency)
            XCTAssertEqual(a.context, b.context)
            XCTAssertEqual(a.classIndices, b.classIndices)
            let other = SyntheticWriter.scene(seed: 12, index: index, difficulty: .hard)
            XCTAssertNotEqual(
                Self.contentHash(a), Self.contentHash(other), "seeds 11 and 12 give the same image \(index)")
        }
    }

    /// Over 50 scenes: VOC-like sizes, 1–3 objects whose classes are in the
    /// ground truth, every train on rails, boat on water and aeroplane in the
    /// sky, and each of these contexts also in some scene without its object.
    func testHardScenesAreVOCLikeWithImperfectContexts() {
        let voc = ClassNames.voc
        let owner: [UInt8: Int] = [
            1: voc.firstIndex(of: "train")!, 2: voc.firstIndex(of: "boat")!, 3: voc.firstIndex(of: "aeroplane")!,
        ]
        var with: [UInt8: Int] = [:]
        var without: [UInt8: Int] = [:]
        var objectCounts = Set<Int>()
        for index in 0..<50 {
            let s = SyntheticWriter.scene(seed: 0, index: index, difficulty: .hard)
            let (w, h) = (s.image.width, s.image.height)
            XCTAssertTrue((350...500).contains(w) && (280...375).contains(h), "image \(index) is \(w)×\(h)")
            XCTAssertEqual(s.image.channels, 3)
            for plane in [s.groundTruth, s.saliency, s.context] {
                XCTAssertEqual([plane.width, plane.height, plane.channels], [w, h, 1])
            }
            XCTAssertTrue((1...3).contains(s.classIndices.count), "image \(index) has \(s.classIndices.count) objects")
            objectCounts.insert(s.classIndices.count)
            let labels = Set(s.groundTruth.pixels)
            let allowed = Set(s.classIndices.map { UInt8($0 + 1) } + [0, 255])
            XCTAssertTrue(labels.isSubset(of: allowed), "image \(index) has labels \(labels.sorted())")
            for c in s.classIndices { XCTAssertTrue(labels.contains(UInt8(c + 1)), "class \(voc[c]) not visible") }
            let regions = Set(s.context.pixels)
            XCTAssertTrue(regions.isSubset(of: [0, 1, 2, 3]), "image \(index) has context codes \(regions.sorted())")
            for (code, classIndex) in owner {
                let hasObject = s.classIndices.contains(classIndex)
                if hasObject {
                    XCTAssertTrue(regions.contains(code), "image \(index): \(voc[classIndex]) without context")
                }
                if regions.contains(code) {
                    if hasObject { with[code, default: 0] += 1 } else { without[code, default: 0] += 1 }
                }
            }
        }
        XCTAssertEqual(objectCounts, [1, 2, 3])
        for code: UInt8 in 1...3 {
            XCTAssertGreaterThan(with[code, default: 0], 0, "context \(code) never with its object")
            XCTAssertGreaterThan(without[code, default: 0], 0, "context \(code) never without its object")
        }
    }

    /// The marker says which generator wrote the data; the context names
    /// include sky in hard data and stay as they were in easy data.
    func testDatasetRecordsDifficultyAndContextNames() throws {
        let hard = ProcessHarness.temporaryDirectory("synth-hard")
        _ = try SyntheticWriter.write(to: hard, format: .coco, difficulty: .hard, train: 3, val: 1, seed: 4, scale: 0.5)
        let marker = try String(contentsOfFile: "\(hard)/SYNTHETIC.txt", encoding: .utf8)
        XCTAssertTrue(marker.contains("difficulty hard, seed 4"), marker)
        XCTAssertEqual(
            try String(contentsOfFile: "\(hard)/context/names.txt", encoding: .utf8),
            "0 none\n1 rails\n2 water\n3 sky\n")
        let easy = ProcessHarness.temporaryDirectory("synth-easy")
        _ = try SyntheticWriter.writeVOC(to: easy, difficulty: .easy, train: 2, val: 0, seed: 4)
        XCTAssertTrue(
            try String(contentsOfFile: "\(easy)/SYNTHETIC.txt", encoding: .utf8).contains("difficulty easy, seed 4"))
        XCTAssertEqual(
            try String(contentsOfFile: "\(easy)/context/names.txt", encoding: .utf8), "0 none\n1 rails\n2 water\n")
    }
}
