import Data
import Foundation
import Support
import XCTest

/// The prefetching loader against the batches rebuilt by hand from the
/// sampler and the per-sample transform, for 1 and 2 ranks.
final class BatchLoaderTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "eps-dist-loader-\(getpid())"

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func dataset() throws -> Dataset {
        let (checked, problems) = try Dataset.load(LoaderTestData.make(in: dir, count: 9)).validated(
            requireSaliency: true)
        XCTAssertTrue(problems.isEmpty, "\(problems)")
        return checked
    }

    /// Drains a started loader over `steps`.
    func drain(_ loader: BatchLoader, _ steps: Range<Int>) throws -> [Batch] {
        loader.start()
        defer { loader.stop() }
        return try steps.map { try loader.next(step: $0) }
    }

    /// EPS batches: the sampler's order, each sample read and augmented with
    /// its own keyed generator, so the loader (any worker count) equals a
    /// plain loop; and two ranks' shards concatenate to the one-rank batch.
    func testEPSBatchesFollowTheSamplerAndTheKeyedAugmentation() throws {
        let data = try dataset()
        let sampler = GlobalSampler(datasetSize: data.samples.count, globalBatch: 4, seed: 5)
        let aug = EPSAugmentation(cropSize: 24, resizeRange: 30...50)
        let steps = 0..<5
        let one = try drain(
            BatchLoader(
                dataset: data, sampler: sampler, augmentation: aug, rank: 0, ranks: 1, withSaliency: true,
                steps: steps, workers: 2), steps)
        for batch in one {
            var images: [Float] = []
            var saliency: [Float] = []
            for index in sampler.globalBatch(step: batch.step) {
                var rng = KeyedRandom(
                    key: sampler.sampleKey(step: batch.step, index: index), stream: KeyedRandom.Stream.augmentation)
                let sample = data.samples[index]
                let out = aug.apply(
                    image: try ImageCodecs.readJPEG(sample.imagePath),
                    saliency: try ImageCodecs.readPNG(sample.saliencyPath!), rng: &rng)
                images += out.image
                saliency += out.saliency!
            }
            XCTAssertEqual(batch.ids, sampler.globalBatch(step: batch.step).map { data.samples[$0].id })
            XCTAssertEqual(batch.images, images)
            XCTAssertEqual(batch.saliency, saliency)
            XCTAssertEqual(batch.labels.count, 4 * data.numClasses)
        }
        let shards = try (0..<2).map { rank in
            try drain(
                BatchLoader(
                    dataset: data, sampler: sampler, augmentation: aug, rank: rank, ranks: 2, withSaliency: true,
                    steps: steps, workers: 1), steps)
        }
        for (s, batch) in one.enumerated() {
            XCTAssertEqual(shards[0][s].images + shards[1][s].images, batch.images)
            XCTAssertEqual(shards[0][s].saliency! + shards[1][s].saliency!, batch.saliency!)
            XCTAssertEqual(shards[0][s].sampleKeys + shards[1][s].sampleKeys, batch.sampleKeys)
        }
    }
}
