import Engine
import Foundation
import Support
import XCTest

/// The readers of weight files and their layers (zip, pickle, .npy) on the fuzzing seeds and on every input
/// a fuzzer once crashed them with (docs/ARCHITECTURE.md, "Testing").
final class EngineFuzzRegressionTests: XCTestCase {
    func testSafeTensors() throws { try checkFuzzInputs("safetensors") { _ = try SafeTensorsFile.parse($0, path: $1) } }
    func testTorchCheckpoint() throws { try checkFuzzInputs("torch") { _ = try TorchCheckpoint.read($0, path: $1) } }
    func testMXNetParams() throws { try checkFuzzInputs("mxnet") { _ = try MXNetParams.read($0, path: $1) } }
    func testWeightFiles() throws { try checkFuzzInputs("weights") { _ = try WeightFiles.parse($0, path: $1) } }

    func testZip() throws {
        try checkFuzzInputs("zip", namesPath: false) { data, _ in
            let zip = try ZipReader(data)
            for name in zip.members.keys { _ = try zip.contents(name) }
        }
    }

    func testPickle() throws {
        try checkFuzzInputs("pickle", namesPath: false) { data, _ in _ = try PickleReader.parse([UInt8](data)) }
    }

    func testNumpy() throws {
        try checkFuzzInputs("npy", namesPath: false) { data, _ in _ = try NumpyFile.parse([UInt8](data)) }
    }
}

/// The seeds (Tests/Fuzz/Corpus/<target>) and the inputs of past findings (Tests/Fuzz/Regressions/<target>)
/// of the fuzz targets of scripts/fuzz.sh, read by every normal test run too.
enum FuzzFolders {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func files(_ kind: String, _ target: String) -> [String] {
        let dir = root.appendingPathComponent(kind).appendingPathComponent(target).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(dir)/\($0)" }
    }
}

extension XCTestCase {
    /// Feeds every file of a fuzz target's folders to `parse`, the entry point its harness calls: a seed must
    /// parse (when `seedsParse`), a regression input must parse or throw, naming the file when `namesPath`.
    /// A trap ends the test run, which is the failure this guards against.
    func checkFuzzInputs(
        _ target: String, seedsParse: Bool = true, namesPath: Bool = true, file: StaticString = #filePath,
        line: UInt = #line, _ parse: (Data, String) throws -> Void
    ) throws {
        let seeds = FuzzFolders.files("Corpus", target)
        XCTAssertFalse(seeds.isEmpty, "no seeds in Tests/Fuzz/Corpus/\(target)", file: file, line: line)
        for path in seeds + FuzzFolders.files("Regressions", target) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            do { try parse(data, path) } catch {
                if seedsParse && seeds.contains(path) {
                    XCTFail("the seed \(path) does not parse: \(error)", file: file, line: line)
                } else if namesPath {
                    XCTAssertTrue("\(error)".contains(path), "\(path): \(error)", file: file, line: line)
                }
            }
        }
    }
}
