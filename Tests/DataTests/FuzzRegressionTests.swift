import Data
import Foundation
import XCTest

/// The label, annotation and image readers on the fuzzing seeds and on every input a fuzzer once crashed
/// them with (docs/ARCHITECTURE.md, "Testing").
final class DataFuzzRegressionTests: XCTestCase {
    func testLabelFiles() throws {
        try checkFuzzInputs("labels") { _ = try LabelSources.parseLabelFile($0, path: $1, numClasses: 20) }
    }

    /// The .npy seeds are not all label files: the label reader may refuse them, naming the file.
    func testNumpyLabelFiles() throws {
        try checkFuzzInputs("npy", seedsParse: false) {
            _ = try LabelSources.parseLabelFile($0, path: $1, numClasses: 20)
        }
    }

    func testVOCAnnotations() throws {
        try checkFuzzInputs("voc-xml") { _ = try LabelSources.vocObjectNames(xmlData: $0, path: $1) }
    }

    func testPNG() throws {
        try checkFuzzInputs("png") { data, path in
            _ = try ImageCodecs.decodePNG(data, path: path)
            // Class indices come in 8 bits or fewer; a 16-bit seed (IHDR's bit depth, byte 24) is refused as indices.
            if data.count > 24 && data[data.startIndex + 24] == 16 {
                XCTAssertThrowsError(try ImageCodecs.decodePNG(data, path: path, indices: true), path)
            } else {
                _ = try ImageCodecs.decodePNG(data, path: path, indices: true)
            }
        }
    }

    /// The fuzzers' out-of-memory findings (headers claiming 65536 × 16128 and about 65535² pixels) are
    /// refused for their size, before anything of that size is allocated.
    func testImagesOverThePixelLimitAreRefused() throws {
        let decoders: [String: (Data, String) throws -> Image8] = [
            "png": { try ImageCodecs.decodePNG($0, path: $1) }, "jpeg": { try ImageCodecs.decodeJPEG($0, path: $1) },
        ]
        for (target, decode) in decoders {
            let bombs = FuzzFolders.files("Regressions", target).filter { $0.contains("/oom-") }
            XCTAssertFalse(bombs.isEmpty, target)
            for path in bombs {
                XCTAssertThrowsError(try decode(Data(contentsOf: URL(fileURLWithPath: path)), path)) { error in
                    XCTAssertTrue("\(error)".contains("pixels, more than the 89478485"), "\(error)")
                }
            }
        }
    }

    func testJPEG() throws { try checkFuzzInputs("jpeg") { _ = try ImageCodecs.decodeJPEG($0, path: $1) } }
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
