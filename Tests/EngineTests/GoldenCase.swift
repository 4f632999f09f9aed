import Engine
import Foundation
import XCTest

/// One PyTorch-generated reference case (Tests/EngineTests/Golden, see its
/// README): inputs, expected outputs, metadata; comparisons at the README's
/// tolerance |a − e| ≤ atol + rtol·|e| with rtol 1e-4, atol 2e-5·max|e| per
/// tensor, losses to 1e-5 relative, discrete outputs exactly.
struct GoldenCase {
    let file: String
    let content: SafeTensorsFile
    private(set) var failures: [String] = []
    private(set) var compared = 0

    /// The cases that ship with the tests: `Golden/` beside this file.
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path
    }

    /// `EPS_GOLDEN_DIR`, when set: a folder of further cases, run in addition
    /// to the bundled ones.
    static var extraDirectory: String? {
        guard let dir = ProcessInfo.processInfo.environment["EPS_GOLDEN_DIR"], !dir.isEmpty else { return nil }
        return dir
    }

    /// Every `*.safetensors` file of a folder, sorted by name.
    static func all(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.sorted().map { "\(directory)/\($0)" }
    }

    /// The bundled cases, and those of `EPS_GOLDEN_DIR` (none when it is
    /// unset). A file there with the same name and bytes as a bundled one is
    /// the same case and is left out of `extra` (counted in `duplicates`).
    static func union() -> (bundled: [String], extra: [String], duplicates: Int) {
        let bundled = all(in: directory)
        guard let extraDir = extraDirectory else { return (bundled, [], 0) }
        let bundledByName = Dictionary(uniqueKeysWithValues: bundled.map { (($0 as NSString).lastPathComponent, $0) })
        var extra: [String] = []
        var duplicates = 0
        for path in all(in: extraDir) {
            if let twin = bundledByName[(path as NSString).lastPathComponent],
                FileManager.default.contentsEqual(atPath: twin, andPath: path)
            {
                duplicates += 1
            } else {
                extra.append(path)
            }
        }
        return (bundled, extra, duplicates)
    }

    /// A bundled case is named by its file name, any other by its whole path,
    /// so that a failure says which folder the case came from.
    init(path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let name = folder == GoldenCase.directory ? (path as NSString).lastPathComponent : path
        self.init(file: name, content: try SafeTensorsFile.read(path))
    }

    init(file: String, content: SafeTensorsFile) {
        self.file = file
        self.content = content
    }

    var kind: String { content.metadata["kind"] ?? "" }

    func input(_ name: String) -> Tensor {
        guard let t = content.tensors[name] else { fatalError("\(file): no tensor \(name)") }
        return t
    }
    func has(_ name: String) -> Bool { content.tensors[name] != nil }
    func meta(_ key: String) -> String? { content.metadata[key] }
    func metaFloat(_ key: String) -> Float { Float(meta(key) ?? "") ?? .nan }
    func metaInt(_ key: String) -> Int { Int(meta(key) ?? "") ?? -1 }

    mutating func expect(_ name: String, _ actual: Tensor, exact: Bool = false) {
        compared += 1
        let expected = input(name)
        guard expected.count == actual.count else {
            failures.append("\(name): \(actual.count) values, expected shape \(expected.shape)")
            return
        }
        let atol = 2e-5 * expected.maxAbs
        var firstBad = -1
        var badCount = 0
        for i in 0..<expected.count {
            let e = expected[i]
            let a = actual[i]
            let ok = exact ? a == e : abs(a - e) <= atol + 1e-4 * abs(e)
            if !ok {
                badCount += 1
                if firstBad < 0 { firstBad = i }
            }
        }
        if firstBad >= 0 {
            failures.append(
                "\(name): \(badCount) values out of tolerance, first at \(firstBad): got \(actual[firstBad]), "
                    + "expected \(expected[firstBad])"
            )
        }
    }

    mutating func expect(_ name: String, _ actual: [Float], exact: Bool = false) {
        expect(name, Tensor(shape: [actual.count], data: actual), exact: exact)
    }

    mutating func expectScalar(_ key: String, _ actual: Float) {
        compared += 1
        let expected = metaFloat(key)
        if !(abs(actual - expected) <= 1e-5 * max(abs(expected), 1e-12)) {
            failures.append("\(key): got \(actual), expected \(expected)")
        }
    }

    mutating func fail(_ message: String) { failures.append(message) }
}
