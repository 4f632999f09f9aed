import Engine
import Foundation
import XCTest

/// Paths that are not weight files are refused with a WeightFileError naming
/// the path: never a trap, and never a read that blocks (a fifo).
final class WeightFilesTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "weight-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func assertRefused(_ path: String, mentioning word: String, file: StaticString = #filePath, line: UInt = #line) {
        let readers: [(String, (String) throws -> Any)] = [
            ("WeightFiles", { try WeightFiles.read($0) }), ("SafeTensorsFile", { try SafeTensorsFile.read($0) }),
            ("TorchCheckpoint", { try TorchCheckpoint.read($0) }), ("MXNetParams", { try MXNetParams.read($0) }),
        ]
        for (name, read) in readers {
            XCTAssertThrowsError(try read(path), name, file: file, line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(error is WeightFileError, "\(name): \(text)", file: file, line: line)
                XCTAssertTrue(text.contains(path) && text.contains(word), "\(name): \(text)", file: file, line: line)
            }
        }
    }

    func testDirectoryIsRefusedNamingThePath() throws {
        let folder = "\(dir)/weights.safetensors"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        assertRefused(folder, mentioning: "directory")
    }

    func testEmptyFileIsRefusedNamingThePath() throws {
        for name in ["empty.safetensors", "empty.pth", "empty.params"] {
            let path = "\(dir)/\(name)"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
            XCTAssertThrowsError(try WeightFiles.read(path)) { error in
                XCTAssertTrue(error is WeightFileError && "\(error)".contains(path), "\(error)")
            }
        }
    }

    func testFifoIsRefusedWithoutBlocking() throws {
        let path = "\(dir)/weights.fifo"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        assertRefused(path, mentioning: "not a regular file")
    }

    func testMissingFileNamesThePath() {
        assertRefused("\(dir)/absent.safetensors", mentioning: "not found")
    }
}
