import Support

/// One sample as the loader batches it: image [3, crop, crop], and the
/// saliency [1, crop, crop] (EPS) or the label map [crop, crop] (segmentation).
public struct TransformedSample: Sendable {
    public var image: [Float]
    public var saliency: [Float]?
    public var mask: [UInt8]?

    public init(image: [Float], saliency: [Float]? = nil, mask: [UInt8]? = nil) {
        self.image = image
        self.saliency = saliency
        self.mask = mask
    }
}

/// What `BatchLoader` does to each sample: read its files and augment them
/// with the sample's keyed generator (the same draws on any rank count).
public protocol SampleTransform: Sendable {
    var cropSize: Int { get }
    /// Whether batches carry saliency ([n, 1, crop, crop]) and masks ([n, crop, crop]).
    var producesSaliency: Bool { get }
    var producesMasks: Bool { get }
    func load(_ sample: Sample, rng: inout KeyedRandom) throws -> TransformedSample
}

extension SampleTransform {
    public var producesSaliency: Bool { false }
    public var producesMasks: Bool { false }
}

/// EPS training: the JPEG and (EPS method) its saliency map, `EPSAugmentation`.
public struct EPSSampleTransform: SampleTransform {
    public var augmentation: EPSAugmentation
    public var withSaliency: Bool

    public init(augmentation: EPSAugmentation, withSaliency: Bool) {
        self.augmentation = augmentation
        self.withSaliency = withSaliency
    }

    public var cropSize: Int { augmentation.cropSize }
    public var producesSaliency: Bool { withSaliency }

    public func load(_ sample: Sample, rng: inout KeyedRandom) throws -> TransformedSample {
        let image = try ImageCodecs.readJPEG(sample.imagePath)
        var sal: Image8? = nil
        if withSaliency, let path = sample.saliencyPath {
            sal = try ImageCodecs.readPNG(path)
            guard sal!.width == image.width, sal!.height == image.height else {
                throw DataError(
                    path,
                    "saliency size \(sal!.width)×\(sal!.height) differs from the image's "
                        + "\(image.width)×\(image.height)"
                )
            }
        }
        let out = augmentation.apply(image: image, saliency: sal, rng: &rng)
        return TransformedSample(image: out.image, saliency: out.saliency)
    }
}

/// Segmentation training: the JPEG and its label map (`Sample.labelMapPath`),
/// `SegmentationAugmentation`. `classes` (background included) bounds the label values.
public struct SegmentationSampleTransform: SampleTransform {
    public var augmentation: SegmentationAugmentation
    public var classes: Int

    public init(augmentation: SegmentationAugmentation, classes: Int) {
        self.augmentation = augmentation
        self.classes = classes
    }

    public var cropSize: Int { augmentation.cropSize }
    public var producesMasks: Bool { true }

    public func load(_ sample: Sample, rng: inout KeyedRandom) throws -> TransformedSample {
        guard let path = sample.labelMapPath else {
            throw DataError(sample.id, "no label map for this sample; give the label-map folder (--label-dir)")
        }
        let image = try ImageCodecs.readJPEG(sample.imagePath)
        let label = try MaskFiles.readLabelMap(path, classes: classes, size: (image.width, image.height))
        let out = augmentation.apply(image: image, label: label, rng: &rng)
        return TransformedSample(image: out.image, mask: out.label)
    }
}
