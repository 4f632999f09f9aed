import Foundation
import Launcher
import XCTest

/// The config reader (flat YAML, then the settings decoded over the preset and validated) on the fuzzing
/// seeds and on every input a fuzzer once crashed it with (docs/ARCHITECTURE.md, "Testing").
final class LauncherFuzzRegressionTests: XCTestCase {
    func testConfigFiles() throws {
        try checkFuzzInputs("config") { data, path in
            guard let text = String(data: data, encoding: .utf8) else { return }  // not UTF-8: InputFile refuses it
            _ = try TrainConfig.settings(configText: text, path: path)
        }
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
