import Foundation
import Launcher
import XCTest

/// A small synthetic VOC dataset shared by the end-to-end tests (made once per test process): the easy
/// scenes, small and quickly learnt.
enum SyntheticFixture {
    nonisolated(unsafe) private static var cached: String?

    static var root: String {
        if let cached { return cached }
        let dir = ProcessHarness.temporaryDirectory("synthetic")
        _ = try! SyntheticWriter.writeVOC(to: dir, difficulty: .easy, train: 48, val: 8, seed: 7)
        cached = dir
        return dir
    }

    static var trainList: String { "\(root)/ImageSets/Segmentation/train.txt" }
    static var valList: String { "\(root)/ImageSets/Segmentation/val.txt" }

    /// Flags of a short tiny-net EPS run on the fixture.
    static func trainArguments(
        out: String, iterations: Int = 20, batch: Int = 8, arch: String = "tiny", extra: [String] = []
    ) -> [String] {
        [
            "train", "--dataset", "voc", "--data-root", root, "--train-list", trainList, "--saliency-root",
            "\(root)/saliency",
            "--arch", arch, "--batch-size", "\(batch)", "--crop-size", "64", "--resize-size", "56", "96",
            "--max-iters", "\(iterations)", "--log-every", "5", "--out", out, "--seed", "5", "--lr", "0.02",
            "--momentum", "0.9",
        ] + extra
    }
}
