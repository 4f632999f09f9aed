import Engine
import Foundation
import XCTest

/// The MXNet .params reader (ademxapp's ImageNet ResNet-38 format and names) against
/// fixtures written by MXNet's own mx.nd.save (scripts/mxnet/make_params_fixture.py):
/// resnet38_w16.params holds the same backbone weights as resnet38_w16_eps.safetensors.
final class MXNetParamsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// The safetensors fixture's `param.*` backbone tensors (fc8 is not in the .params).
    func goldenBackbone() throws -> [String: Tensor] {
        let golden = try SafeTensorsFile.read(Self.fixture("resnet38_w16_eps.safetensors"))
        var out: [String: Tensor] = [:]
        for (name, t) in golden.tensors where name.hasPrefix("param.") && !name.hasPrefix("param.fc8.") {
            out[String(name.dropFirst(6))] = t
        }
        return out
    }

    func assertSame(
        _ got: Tensor?, _ expected: Tensor, _ name: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let got else { return XCTFail("\(name) missing", file: file, line: line) }
        XCTAssertEqual(got.shape, expected.shape, name, file: file, line: line)
        XCTAssertEqual(got.values, expected.values, "\(name): values differ", file: file, line: line)
    }

    func assertThrows(_ path: String, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try MXNetParams.read(path), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(error is WeightFileError, text, file: file, line: line)
            for word in [path] + words {
                XCTAssertTrue(text.contains(word), "'\(word)' not in: \(text)", file: file, line: line)
            }
        }
    }

    func testBackboneEqualsTheSafetensorsFixture() throws {
        let golden = try goldenBackbone()
        let tensors = try MXNetParams.read(Self.fixture("resnet38_w16.params"))
        XCTAssertEqual(golden.count, 191)
        XCTAssertEqual(Set(tensors.keys), Set(golden.keys))
        for (name, expected) in golden { assertSame(tensors[name], expected, name) }
        XCTAssertFalse(
            tensors.keys.contains { $0.contains("linear") || $0.contains("fc") }, "the ImageNet classifier is dropped")
    }

    func testLoadsIntoTheEPSModelViaWeightFiles() throws {
        let path = Self.fixture("resnet38_w16.params")
        let file = try WeightFiles.read(path)  // dispatched by the 0x112 magic
        let golden = try goldenBackbone()
        XCTAssertEqual(file.tensors.count, golden.count)
        let model = ClassifierModel(architecture: .resnet38, method: .eps, numClasses: 20, widthDivisor: 16)
        let loaded = try WeightLoading.load(
            file.tensors, into: model.store, path: path, mayBeMissing: { $0.hasPrefix("fc8.") })
        XCTAssertEqual(loaded.count, golden.count)
        for name in ["conv1a.weight", "b4_3.conv_branch2a.weight", "b7.bn_branch2b2.running_var", "bn7.bias"] {
            assertSame(model.store.tensor(name), golden[name]!, name)
        }
    }

    func testOlderAndNewerArrayLayouts() throws {
        let golden = try goldenBackbone()
        let expected = [
            "conv1a.weight", "b2_1.conv_branch2a.weight", "b3.conv_branch1.weight",
            "b2.bn_branch2a.weight", "b2.bn_branch2a.bias", "b2.bn_branch2a.running_mean",
            "b2.bn_branch2a.running_var", "b5_1.bn_branch2b1.running_var", "bn7.weight", "bn7.running_var",
        ]
        for version in ["legacy", "v1", "v3"] {  // u32 dims / V1 magic + i64 dims / V3 (NumPy shapes)
            let tensors = try MXNetParams.read(Self.fixture("mxnet_small_\(version).params"))
            XCTAssertEqual(tensors.keys.sorted(), expected.sorted(), version)  // linear1000_bias dropped
            for name in expected { assertSame(tensors[name], golden[name]!, "\(version): \(name)") }
        }
    }

    func testTruncatedFilesThrowNamingThePath() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("resnet38_w16.params")))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "truncated-\(UUID().uuidString).params"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // In the list magic, the reserved word, right after the array count (too many
        // arrays for what is left), inside the second array, in the middle, in the last name.
        for cut in [5, 12, 30, 900, data.count / 2, data.count - 3] {
            try data.prefix(cut).write(to: URL(fileURLWithPath: path))
            assertThrows(path, mentioning: ["truncated"])
            XCTAssertThrowsError(try WeightFiles.read(path)) { XCTAssertTrue("\($0)".contains(path)) }
        }
    }

    func testRefusesOtherFiles() throws {
        assertThrows(Self.fixture("resnet38_w16_eps.safetensors"), mentioning: ["magic"])
        assertThrows(Self.fixture("mxnet_float64.params"), mentioning: ["float64", "float32"])
        assertThrows(
            Self.fixture("mxnet_unknown_name.params"), mentioning: ["arg:res2a_branch1_bias", "aux:foo_moving_mean"])
        // A safetensors file is still read as safetensors by WeightFiles.
        XCTAssertNoThrow(try WeightFiles.read(Self.fixture("resnet38_w16_eps.safetensors")))
    }

    func testNameMapping() {
        let cases: [(String, String?)] = [
            ("conv1a_weight", "conv1a.weight"),
            ("res2a_branch1_weight", "b2.conv_branch1.weight"),
            ("res4b5_branch2b1_weight", "b4_5.conv_branch2b1.weight"),
            ("res7a_branch2b2_weight", "b7.conv_branch2b2.weight"),
            ("bn3b2_branch2a_gamma", "b3_2.bn_branch2a.weight"),
            ("bn6a_branch2b2_beta", "b6.bn_branch2b2.bias"),
            ("bn5a_branch2a_moving_mean", "b5.bn_branch2a.running_mean"),
            ("bn5b1_branch2b1_moving_var", "b5_1.bn_branch2b1.running_var"),
            ("bn7_gamma", "bn7.weight"), ("bn7_moving_var", "bn7.running_var"),
            ("conv1a_bias", nil), ("res2a_branch1_bias", nil), ("bn2c_branch2a_gamma", nil),
            ("bn7_foo", nil), ("res2a_weight", nil), ("linear1000_weight", nil),
        ]
        for (mx, expected) in cases { XCTAssertEqual(MXNetParams.stateDictName(mx), expected, mx) }
    }
}
