import Engine
import Foundation
import XCTest

/// Runs every golden case by its kind: the bundled ones (Golden/) plus those
/// of EPS_GOLDEN_DIR when it is set. A case of an unknown kind, a missing
/// tensor or a value out of tolerance fails the test.
final class GoldenTests: XCTestCase {
    func testEveryGoldenCase() throws {
        let directory = GoldenCase.directory
        let (bundled, extra, duplicates) = GoldenCase.union()
        let files = bundled + extra
        XCTAssertFalse(bundled.isEmpty, "no golden cases in \(directory)")
        if let extraDir = GoldenCase.extraDirectory {
            XCTAssertFalse(extra.isEmpty && duplicates == 0, "EPS_GOLDEN_DIR=\(extraDir) holds no golden cases")
        }
        var byKind: [String: Int] = [:]
        for path in files {
            var golden = try GoldenCase(path: path)
            guard let runner = GoldenRunners.byKind[golden.kind] else {
                XCTFail("\(golden.file): unknown kind '\(golden.kind)' — add a runner")
                continue
            }
            runner(&golden)
            XCTAssertGreaterThan(golden.compared, 0, "\(golden.file): compared nothing")
            for failure in golden.failures { XCTFail("\(golden.file): \(failure)") }
            byKind[golden.kind, default: 0] += 1
        }
        let extraNote =
            GoldenCase.extraDirectory.map {
                " + \(extra.count) from EPS_GOLDEN_DIR \($0)"
                    + (duplicates > 0 ? " (\(duplicates) identical to bundled ones skipped)" : "")
            } ?? " (EPS_GOLDEN_DIR unset)"
        print(
            "golden: \(files.count) cases checked, \(bundled.count) bundled in \(directory)\(extraNote): "
                + byKind.keys.sorted().map { "\($0) \(byKind[$0]!)" }.joined(separator: ", "))
    }

    /// The runner must notice a wrong value: perturb one expected output of
    /// each kind's first case and check the case then fails.
    func testRunnerCatchesPerturbedOutputs() throws {
        var seenKinds = Set<String>()
        let (bundled, extra, _) = GoldenCase.union()
        for path in bundled + extra {
            var content = try SafeTensorsFile.read(path)
            let kind = content.metadata["kind"] ?? ""
            guard !seenKinds.contains(kind), let runner = GoldenRunners.byKind[kind] else { continue }
            seenKinds.insert(kind)
            let outputs = (content.metadata["outputs"] ?? "").split(separator: ",").map(String.init)
            guard let name = outputs.first(where: { content.tensors[$0] != nil }) else { continue }
            let peak = content.tensors[name]!.maxAbs
            content.tensors[name]![0] += max(peak, 1) * 0.01
            var golden = GoldenCase(file: path, content: content)
            runner(&golden)
            XCTAssertFalse(golden.failures.isEmpty, "\(kind): a perturbed \(name) went unnoticed")
        }
        XCTAssertGreaterThan(seenKinds.count, 10)
    }
}
