import Data
import Foundation
import Support
import XCTest

/// The committed fixture files of the segmentation tests (scripts/make_segmentation_fixtures.py).
enum Fixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func png(_ name: String, indices: Bool = false) throws -> Image8 {
        try ImageCodecs.readPNG("\(dir)/\(name)", indices: indices)
    }

    static func npy(_ name: String) throws -> NumpyFile {
        try NumpyFile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name)"))))
    }

    static func floats(_ file: NumpyFile) -> [Float] {
        XCTAssertEqual(file.descr, "<f4")
        return file.payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
