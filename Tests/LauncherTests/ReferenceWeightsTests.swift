import Foundation
import XCTest

/// The weight files users arrive with, through the command line: the
/// reference's MXNet ImageNet file to start training, a PyTorch state dict
/// (the reference's checkpoint_cls.pth) to write pseudo-masks. Width / 16
/// fixtures of the same layout (Tests/EngineTests/Fixtures).
final class ReferenceWeightsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EngineTests/Fixtures").path

    func testTrainFromMXNetParamsAndInferFromPyTorchStateDict() throws {
        let run = ProcessHarness.temporaryDirectory("from-params")
        var args = SyntheticFixture.trainArguments(
            out: run, iterations: 2, batch: 2,
            extra: [
                "--weights", "\(Self.fixtures)/resnet38_w16.params", "--width-divisor", "16",
                "--threads", "1",
            ])
        args[args.firstIndex(of: "--arch")! + 1] = "resnet38"
        let trained = try ProcessHarness.epsDist(args)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stdout.contains("initial weights"), trained.stdout)
        XCTAssertFalse(trained.stderr.contains("no --weights"), trained.stderr)

        let masks = ProcessHarness.temporaryDirectory("from-pth")
        let inferred = try ProcessHarness.epsDist([
            "infer", "--weights", "\(Self.fixtures)/resnet38_w16_state_dict.pth", "--arch", "resnet38", "--method",
            "eps",
            "--width-divisor", "16", "--data-root", SyntheticFixture.root, "--infer-list", SyntheticFixture.valList,
            "--scales", "1.0", "--cam-png", masks, "--threads", "1",
        ])
        XCTAssertEqual(inferred.status, 0, inferred.stderr)
        let written = try FileManager.default.contentsOfDirectory(atPath: masks).filter { $0.hasSuffix(".png") }
        XCTAssertEqual(written.count, 8)
    }
}
