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

    /// A list that contains itself (the first leak the pickle fuzzer found) is refused, so is any change
    /// to a list or dict after it was nested; nesting deeper than `maxDepth` is refused before it is built
    /// (100 000 TUPLE1 in a 100 KB pickle overflowed the stack when the value was released).
    func testPickleCyclesAndDeepNestingAreErrors() throws {
        let cycles: [[UInt8]] = [
            [0x80, 0x02, 0x5D, 0x32, 0x61, 0x2E],  // EMPTY_LIST DUP APPEND STOP
            [0x80, 0x02, 0x5D, 0x32, 0x85, 0x61, 0x2E],  // EMPTY_LIST DUP TUPLE1 APPEND: via a tuple
            [0x80, 0x02, 0x7D, 0x71, 0x00, 0x4B, 0x01, 0x68, 0x00, 0x73, 0x2E],  // d = {}; d[1] = d (BINPUT, BINGET)
        ]
        for bytes in cycles {
            XCTAssertThrowsError(try PickleReader.parse(bytes)) { XCTAssertTrue("\($0)".contains("nested"), "\($0)") }
        }
        let deep = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
        XCTAssertThrowsError(try PickleReader.parse(deep)) { XCTAssertTrue("\($0)".contains("deeper"), "\($0)") }
        let limit = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: PickleReader.maxDepth - 1) + [0x2E]
        XCTAssertNoThrow(try PickleReader.parse(limit))
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
