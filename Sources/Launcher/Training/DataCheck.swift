import Data
import Foundation

/// `eps-dist check-data`: the training validation, then a summary.
enum DataCheck {
    static func run(_ config: TrainConfig) throws {
        let dataset = try Dataset.load(config.datasetConfig)
        let (checked, problems) = dataset.validated(requireSaliency: config.method == .eps)
        var perClass = [Int](repeating: 0, count: dataset.numClasses)
        var cardinality: [Int: Int] = [:]
        var minSide = Int.max
        var maxSide = 0
        var coverage = 0.0
        var coverageCount = 0
        for s in checked.samples {
            var k = 0
            for c in 0..<s.labels.count where s.labels[c] > 0 {
                perClass[c] += 1
                k += 1
            }
            cardinality[k, default: 0] += 1
            if let size = try? ImageCodecs.jpegSize(s.imagePath) {
                minSide = min(minSide, min(size.width, size.height))
                maxSide = max(maxSide, max(size.width, size.height))
            }
            if let path = s.saliencyPath, let sal = try? ImageCodecs.readPNG(path) {
                let mean = sal.channelMean()
                coverage += Double(mean.filter { $0 > 127.5 }.count) / Double(max(mean.count, 1))
                coverageCount += 1
            }
        }
        print(
            "images: \(dataset.samples.count) listed, \(checked.samples.count) usable, \(problems.count) with problems")
        print(
            "images per class: "
                + (0..<dataset.numClasses).filter { perClass[$0] > 0 }
                .map { "\(dataset.classNames[$0]) \(perClass[$0])" }.joined(separator: ", "))
        print(
            "labels per image: "
                + cardinality.keys.sorted().map { "\($0): \(cardinality[$0]!)" }.joined(separator: ", "))
        if maxSide > 0 { print("image sides: \(minSide)…\(maxSide) px") }
        if coverageCount > 0 {
            print(String(format: "mean saliency coverage (> 0.5): %.1f%%", 100 * coverage / Double(coverageCount)))
        }
        if !problems.isEmpty {
            throw UsageError(
                "the dataset has problems (\(problems.count)):\n" + problems.map(\.description).joined(separator: "\n"))
        }
    }
}
