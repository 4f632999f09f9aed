import Foundation
import Launcher
import Support
import XCTest

/// The hand-written TensorBoard event files against TensorBoard's own writer
/// (Fixtures/tensorboard.events, from scripts/tensorboard/make_event_fixture.py).
final class TensorBoardEventsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testCRC32CKnownVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        // RFC 3720 (iSCSI), appendix B.4.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
    }

    /// One event of the fixture's list, as the script built it.
    struct Spec: Decodable {
        var kind: String
        var wallTime: Double
        var step: Int?
        var scalars: [[ScalarField]]?

        enum ScalarField: Decodable {
            case tag(String)
            case value(Double)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) {
                    self = .tag(s)
                } else {
                    self = .value(try c.decode(Double.self))
                }
            }
        }

        var event: [UInt8] {
            switch kind {
            case "file_version": return TensorBoardEvents.fileVersion(wallTime: wallTime)
            case "session_start": return TensorBoardEvents.sessionStart(wallTime: wallTime, step: step ?? 0)
            default:
                let values = (scalars ?? []).map { pair -> TensorBoardEvents.Scalar in
                    guard case .tag(let tag) = pair[0], case .value(let v) = pair[1] else { return .init("?", .nan) }
                    return .init(tag, Float(v))
                }
                return TensorBoardEvents.scalars(values, wallTime: wallTime, step: step ?? 0)
            }
        }
    }

    func loadFixture() throws -> (specs: [Spec], bytes: [UInt8]) {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let specs = try decoder.decode(
            [Spec].self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("tensorboard-events.json")))
        let bytes = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("tensorboard.events")))
        return (specs, bytes)
    }

    func testEventsEqualTensorBoardsWriterByteForByte() throws {
        let (specs, expected) = try loadFixture()
        XCTAssertEqual(specs.count, 5)
        let written = specs.flatMap { TensorBoardEvents.record($0.event) }
        XCTAssertEqual(written.count, expected.count)
        if let first = zip(written, expected).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            XCTFail("first differing byte at offset \(first.offset)")
        }
        XCTAssertEqual(written, expected)
    }

    /// The file writer: the first record is the file version at the creation
    /// time, the name is TensorBoard's, and a second session's file sorts after.
    func testEventFileWritesTheFixtureAndNamesSessionsInOrder() throws {
        let (specs, expected) = try loadFixture()
        let dir = ProcessHarness.temporaryDirectory("tensorboard-writer")
        let now = Date(timeIntervalSince1970: specs[0].wallTime)
        let file = try TensorBoardEventFile(directory: dir, now: now, host: "node-7")
        for spec in specs.dropFirst() { try file.append(spec.event) }
        XCTAssertEqual(URL(fileURLWithPath: file.path).lastPathComponent, "events.out.tfevents.1700000000.node-7")
        XCTAssertEqual(try [UInt8](Data(contentsOf: URL(fileURLWithPath: file.path))), expected)
        // A resume within the same second (or after the clock went back) still sorts after.
        let second = try TensorBoardEventFile(directory: dir, now: now.addingTimeInterval(-5), host: "node-7")
        XCTAssertEqual(URL(fileURLWithPath: second.path).lastPathComponent, "events.out.tfevents.1700000001.node-7")
    }
}
