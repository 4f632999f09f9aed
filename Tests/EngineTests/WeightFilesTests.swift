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

    /// Overwritten bytes in each format's headers, data and (for the zip) central
    /// directory: the read either succeeds or is a WeightFileError naming the file.
    func testCorruptBytesAreErrorsNotCrashes() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        for name in ["resnet38_w16_eps.safetensors", "resnet38_w16_state_dict.pth", "resnet38_w16.params"] {
            let original = try Data(contentsOf: fixtures.appendingPathComponent(name))
            let n = original.count
            let path = "\(dir)/corrupt-\(name)"
            let positions =
                Array(stride(from: 0, to: 128, by: 16)) + Array(stride(from: 0, to: n - 8, by: n / 16))
                + Array(stride(from: n - 128, to: n - 8, by: 16))
            for at in positions {
                var data = original
                data.replaceSubrange(at..<(at + 8), with: [UInt8](repeating: 0xFF, count: 8))
                try data.write(to: URL(fileURLWithPath: path))
                do { _ = try WeightFiles.read(path) } catch {
                    XCTAssertTrue(error is WeightFileError && "\(error)".contains(path), "\(name) at \(at): \(error)")
                }
            }
        }
    }

    /// Names and metadata with JSON's special characters survive a write and a read.
    func testMetadataEscapesRoundTrip() throws {
        let odd = "quote \" backslash \\ slash / newline \n tab \t bell \u{07} é 😀"
        let file = SafeTensorsFile(tensors: ["w.\(odd)": Tensor(shape: [2], data: [1, -2])], metadata: ["config": odd])
        let path = NSTemporaryDirectory() + "escape-\(getpid()).safetensors"
        try file.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let back = try SafeTensorsFile.read(path)
        XCTAssertEqual(back.metadata["config"], odd)
        XCTAssertEqual(back.tensors["w.\(odd)"]?.values, [1, -2])
    }

    func testMissingFileNamesThePath() {
        assertRefused("\(dir)/absent.safetensors", mentioning: "not found")
    }
}
