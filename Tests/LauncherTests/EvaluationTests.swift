import Data
import Foundation
import Launcher
import XCTest

final class EvaluationTests: XCTestCase {
    /// A 3-class example worked by hand.
    /// gt   = [0 0 1 1 2 2 255 1]
    /// pred = [0 1 1 1 2 0 2   9]  (9 ≥ n is dropped, 255 is ignored)
    /// hist[gt][pred]: (0,0)=1 (0,1)=1 (1,1)=2 (2,2)=1 (2,0)=1
    /// IoU0 = 1/(2+2−1) = 1/3, IoU1 = 2/(2+3−2) = 2/3, IoU2 = 1/(2+1−1) = 1/2
    func testConfusionMatrixByHand() {
        var m = ConfusionMatrix(numClasses: 3)
        m.add(groundTruth: [0, 0, 1, 1, 2, 2, 255, 1], prediction: [0, 1, 1, 1, 2, 0, 2, 9])
        XCTAssertEqual(m.counts, [1, 1, 0, 0, 2, 0, 1, 0, 1])
        XCTAssertEqual(m.iou[0], 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.iou[1], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.iou[2], 1.0 / 2, accuracy: 1e-12)
        XCTAssertEqual(m.meanIoU, (1.0 / 3 + 2.0 / 3 + 0.5) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.precision[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.recall[1], 1, accuracy: 1e-12)
        XCTAssertEqual(m.pixelAccuracy, 4.0 / 6, accuracy: 1e-12)
        // All background: IoU0 = 2/6, classes 1 and 2 score 0.
        XCTAssertEqual(m.allBackgroundMeanIoU, (2.0 / 6) / 3, accuracy: 1e-12)
    }

    /// Classes absent from both ground truth and prediction do not count.
    func testAbsentClassesAreIgnoredInTheMean() {
        var m = ConfusionMatrix(numClasses: 21)
        m.add(groundTruth: [0, 0, 5, 5], prediction: [0, 0, 5, 0])
        XCTAssertTrue(m.iou[3].isNaN)
        XCTAssertEqual(m.meanIoU, (2.0 / 3 + 1.0 / 2) / 2, accuracy: 1e-12)
    }

    func testContextConfusionRatio() {
        var c = ContextConfusion(numClasses: 3, regionNames: ["none", "rails"])
        // class 2 = train: 2 true positives; 3 rail pixels predicted as train.
        c.add(groundTruth: [2, 2, 0, 0, 0, 0], prediction: [2, 2, 2, 2, 2, 0], region: [0, 0, 1, 1, 1, 1])
        XCTAssertEqual(c.ratio(region: 1, classIndex: 2), 1.5, accuracy: 1e-12)
    }

    /// names.txt: name k is region value k whatever the line order; CRLF lines split; a bad line is refused.
    func testContextRegionNamesFollowTheirIndices() throws {
        let dir = NSTemporaryDirectory() + "region-names-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "0 none\r\n2 water\r\n1 rails\r\n".write(toFile: "\(dir)/names.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try ContextConfusion.regionNames(contextDir: dir), ["none", "rails", "water"])
        try "0 none\n3 sky\n".write(toFile: "\(dir)/names.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try ContextConfusion.regionNames(contextDir: dir), ["none", "region1", "region2", "sky"])
        for bad in ["0 none\nrails\n", "0 none\n1 rails\n1 water\n", "x none\n1 rails\n"] {
            try bad.write(toFile: "\(dir)/names.txt", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ContextConfusion.regionNames(contextDir: dir)) { error in
                XCTAssertTrue("\(error)".contains("names.txt:"), "\(error)")
            }
        }
    }

    func testNumpyHeaderIsValid() throws {
        let data = NumpyWriter.encode(.init(shape: [2, 3, 4], data: (0..<24).map(Float.init)))
        XCTAssertEqual(Array(data.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains("'shape': (2, 3, 4)") && header.contains("'<f4'"))
        XCTAssertEqual(data.count, 10 + headerLength + 24 * 4)
    }
}
