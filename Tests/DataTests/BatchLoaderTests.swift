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

    /// The generator the loader gives sample `index` at `step`.
    func sampleRandom(_ sampler: GlobalSampler, step: Int, index: Int) -> KeyedRandom {
        KeyedRandom(key: sampler.sampleKey(step: step, index: index), stream: KeyedRandom.Stream.augmentation)
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
                var rng = sampleRandom(sampler, step: batch.step, index: index)
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
            XCTAssertNil(batch.masks)
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

extension BatchLoaderTests {
    /// Segmentation batches: image [n, 3, crop, crop] and masks [n, crop, crop]
    /// equal to the transform applied by hand with each sample's keyed
    /// generator; 2 ranks' shards concatenate to the 1-rank batch.
    func testSegmentationBatchesCarryMasksAndAreRankCountIndependent() throws {
        var config = try LoaderTestData.make(in: dir, count: 9)
        config.labelDir = "\(dir)/labels"
        let (data, problems) = try Dataset.load(config).validated(requireSaliency: false, imageLabels: false)
        XCTAssertEqual(problems.map(\.description), [])
        let sampler = GlobalSampler(datasetSize: data.samples.count, globalBatch: 4, seed: 8)
        let transform = SegmentationSampleTransform(
            augmentation: SegmentationAugmentation(cropSize: 33), classes: data.segmentationClasses)
        let steps = 0..<5
        func loader(rank: Int, ranks: Int, workers: Int) -> BatchLoader {
            BatchLoader(
                dataset: data, sampler: sampler, transform: transform, rank: rank, ranks: ranks, steps: steps,
                workers: workers)
        }
        let one = try drain(loader(rank: 0, ranks: 1, workers: 2), steps)
        var padded = 0
        for batch in one {
            XCTAssertEqual(batch.images.count, 4 * 3 * 33 * 33)
            XCTAssertEqual(batch.masks?.count, 4 * 33 * 33)
            XCTAssertNil(batch.saliency)
            var images: [Float] = []
            var masks: [UInt8] = []
            for index in sampler.globalBatch(step: batch.step) {
                var rng = sampleRandom(sampler, step: batch.step, index: index)
                let sample = data.samples[index]
                let out = transform.augmentation.apply(
                    image: try ImageCodecs.readJPEG(sample.imagePath),
                    label: try ImageCodecs.readPNG(sample.labelMapPath!, indices: true), rng: &rng)
                images += out.image
                masks += out.label
            }
            XCTAssertEqual(batch.images, images)
            XCTAssertEqual(batch.masks, masks)
            XCTAssertTrue(batch.masks!.allSatisfy { $0 < 4 || $0 == 255 })
            padded += batch.masks!.filter { $0 == 255 }.count
        }
        XCTAssertGreaterThan(padded, 0, "small images at scale ≤ 1 are padded with 255")
        let shards = try (0..<2).map { try drain(loader(rank: $0, ranks: 2, workers: 1), steps) }
        for (s, batch) in one.enumerated() {
            XCTAssertEqual(shards[0][s].images + shards[1][s].images, batch.images)
            XCTAssertEqual(shards[0][s].masks! + shards[1][s].masks!, batch.masks!)
            XCTAssertEqual(shards[0][s].ids + shards[1][s].ids, batch.ids)
        }
    }

    /// A bad label map found only while loading (changed after validation) is an error naming it.
    func testSegmentationLoaderReportsABadLabelMap() throws {
        var config = try LoaderTestData.make(in: dir, count: 4)
        config.labelDir = "\(dir)/labels"
        let data = try Dataset.load(config)
        let colours = try ImageCodecs.readPNG("\(dir)/labels/img1.png")
        try ImageCodecs.writePNG(colours, to: "\(dir)/labels/img1.png")
        let transform = SegmentationSampleTransform(
            augmentation: SegmentationAugmentation(cropSize: 16), classes: data.segmentationClasses)
        var rng = KeyedRandom(key: 1)
        XCTAssertThrowsError(try transform.load(data.samples[1], rng: &rng)) { error in
            XCTAssertTrue("\(error)".contains("labels/img1.png") && "\(error)".contains("RGB"), "\(error)")
        }
        var unlabelled = data.samples[0]
        unlabelled.labelMapPath = nil
        XCTAssertThrowsError(try transform.load(unlabelled, rng: &rng)) { error in
            XCTAssertTrue("\(error)".contains("--label-dir"), "\(error)")
        }
    }
}
