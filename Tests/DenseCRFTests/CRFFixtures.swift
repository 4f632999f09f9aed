import DenseCRF
import Foundation
import Support
import XCTest

/// The pydensecrf fixtures of `Fixtures/` (scripts/pydensecrf/make_crf_fixtures.py).
struct CRFFixtures: Decodable {
    struct Case: Decodable {
        let name: String
        let width: Int
        let height: Int
        let labels: Int
        let kind: String
        let alpha: Float?
    }
    let cases: [Case]
    let params: [String]
    let iterations: [Int]

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func load() throws -> CRFFixtures {
        try JSONDecoder().decode(CRFFixtures.self, from: Data(contentsOf: folder.appendingPathComponent("cases.json")))
    }

    /// A `.npy` array: its shape and raw payload, checked against the expected descr.
    static func array(_ name: String, descr: String) throws -> (shape: [Int], payload: [UInt8]) {
        let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name + ".npy")))
        let npy = try NumpyFile.parse(bytes)
        XCTAssertEqual(npy.descr, descr, name)
        XCTAssertFalse(npy.fortranOrder, name)
        return (npy.shape, npy.payload)
    }

    static func floats(_ name: String) throws -> [Float] {
        let (shape, payload) = try array(name, descr: "<f4")
        let values = payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(values.count, shape.reduce(1, *), name)
        return values
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        let (shape, payload) = try array(name, descr: "|u1")
        XCTAssertEqual(payload.count, shape.reduce(1, *), name)
        return payload
    }
}

/// Largest and mean absolute difference, and the share of pixels whose first-max label differs.
func compareQ(_ a: [Float], _ b: [Float], labels: Int) -> (maxDiff: Float, meanDiff: Double, labelDisagreement: Double)
{
    precondition(a.count == b.count)
    let maxDiff = zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
    let meanDiff = zip(a, b).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(a.count)
    let la = DenseCRF.labelMap(a, labels: labels)
    let lb = DenseCRF.labelMap(b, labels: labels)
    let differing = zip(la, lb).filter { $0 != $1 }.count
    return (maxDiff, meanDiff, Double(differing) / Double(la.count))
}
