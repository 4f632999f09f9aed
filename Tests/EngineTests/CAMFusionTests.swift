import Engine
import XCTest

final class CAMFusionTests: XCTestCase {
    /// Two labelled classes with identical maps: the lower class index wins;
    /// an unlabelled class never appears; a pixel at or under thr is background.
    func testTiesGoToTheLowerIndexAndAbsentClassesNeverWin() {
        var labels = [Float](repeating: 0, count: 5)
        labels[1] = 1
        labels[3] = 1
        var fusion = CAMFusion(numClasses: 5, height: 2, width: 3, labels: labels, method: .cam)
        // CAM maps [1, 5, 2, 3]: classes 1 and 3 equal; class 4 (unlabelled) strongest.
        var maps = Tensor(zeros: [1, 5, 2, 3])
        let pattern: [Float] = [0, 1, 4, 4, 2, 0.5]
        for i in 0..<6 {
            maps[1 * 6 + i] = pattern[i]
            maps[3 * 6 + i] = pattern[i]
            maps[4 * 6 + i] = 9
        }
        fusion.add(maps: maps, flipped: false)
        let mask = fusion.mask(threshold: 0.2)
        // Normalised values: 0, .25, 1, 1, .5, .125 → bg, 2 (class 1 + 1), 2, 2, 2, bg.
        XCTAssertEqual(mask, [0, 2, 2, 2, 2, 0])
        // A flipped pass mirrors back: adding the mirrored maps flipped keeps the same sum shape.
        var mirrored = Tensor(zeros: [1, 5, 2, 3])
        for c in 0..<5 {
            for y in 0..<2 { for x in 0..<3 { mirrored[(c * 2 + y) * 3 + x] = maps[(c * 2 + y) * 3 + (2 - x)] } }
        }
        var both = CAMFusion(numClasses: 5, height: 2, width: 3, labels: labels, method: .cam)
        both.add(maps: maps, flipped: false)
        both.add(maps: mirrored, flipped: true)
        XCTAssertEqual(both.mask(threshold: 0.2), mask)
    }

    func testNoLabelsGivesAllBackground() {
        var fusion = CAMFusion(numClasses: 3, height: 2, width: 2, labels: [0, 0, 0], method: .eps)
        fusion.add(maps: Tensor(shape: [1, 4, 1, 1], data: [5, 1, 1, 0]), flipped: false)
        XCTAssertEqual(fusion.mask(threshold: 0.2), [0, 0, 0, 0])
        XCTAssertEqual(fusion.normalized().maxAbs, 0)
    }
}
