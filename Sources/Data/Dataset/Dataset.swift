import Foundation
import Support

public enum DatasetKind: String, CaseIterable, Sendable {
    case voc, coco

    /// Also the official code's names (`--dataset voc12`).
    public init?(name: String) {
        guard let kind = DatasetKind(rawValue: name == "voc12" ? "voc" : name) else { return nil }
        self = kind
    }

    /// For help texts: "voc (or voc12) or coco".
    public static let namesText = "voc (or the official voc12) or coco"
}

/// Where a dataset's files are (flags: docs/ARCHITECTURE.md, "Command line").
public struct DatasetConfig: Sendable {
    public var kind: DatasetKind
    public var dataRoot: String
    public var listFile: String
    public var imageDir: String?
    public var saliencyRoot: String?
    public var labelsFile: String?
    /// One's own classes, one per line (`--class-names`); nil: the kind's.
    public var classNamesFile: String?
    /// Segmentation training label maps `<labelDir>/<id>.png` (`--label-dir`: the
    /// pseudo-masks, kept apart from the ground truth); nil: none.
    public var labelDir: String?
    /// Whether the samples need image-level labels (false: segmentation, which reads label maps or nothing).
    public var imageLabels: Bool

    public init(
        kind: DatasetKind, dataRoot: String, listFile: String, imageDir: String? = nil,
        saliencyRoot: String? = nil, labelsFile: String? = nil, classNamesFile: String? = nil,
        labelDir: String? = nil, imageLabels: Bool = true
    ) {
        self.imageLabels = imageLabels && labelDir == nil
        self.kind = kind
        self.dataRoot = dataRoot
        self.listFile = listFile
        self.imageDir = imageDir
        self.saliencyRoot = saliencyRoot
        self.labelsFile = labelsFile
        self.classNamesFile = classNamesFile
        self.labelDir = labelDir
    }

    /// VOC `JPEGImages/`; COCO `train2014/` or else `images/`; `--img-dir` wins.
    public var resolvedImageDir: String {
        if let imageDir { return imageDir }
        switch kind {
        case .voc: return "\(dataRoot)/JPEGImages"
        case .coco:
            let train = "\(dataRoot)/train2014"
            return FileManager.default.fileExists(atPath: train) ? train : "\(dataRoot)/images"
        }
    }
}

/// One training or inference item.
public struct Sample: Sendable {
    public init(id: String, imagePath: String, saliencyPath: String?, labels: [Float], labelMapPath: String? = nil) {
        self.id = id
        self.imagePath = imagePath
        self.saliencyPath = saliencyPath
        self.labels = labels
        self.labelMapPath = labelMapPath
    }
    public var id: String
    public var imagePath: String
    public var saliencyPath: String?
    /// Image-level labels [C] (EPS); empty when not read.
    public var labels: [Float]
    /// The segmentation label map (grey or palette PNG of class indices, 255 ignore).
    public var labelMapPath: String?
}

public struct Dataset: Sendable {
    public let config: DatasetConfig
    public let classNames: [String]
    public let samples: [Sample]

    public var numClasses: Int { classNames.count }
    /// Classes of a segmentation label map: background 0 plus the object classes.
    public var segmentationClasses: Int { numClasses + 1 }

    public init(config: DatasetConfig, classNames: [String], samples: [Sample]) {
        self.config = config
        self.classNames = classNames
        self.samples = samples
    }

    /// The same dataset with other samples (a shard, or the validated ones).
    public func with(samples: [Sample]) -> Dataset { Dataset(config: config, classNames: classNames, samples: samples) }

    /// Reads the id list and the labels; fails on the first structural
    /// problem (missing folder or list). Per-sample problems are found by `validate`.
    public static func load(_ config: DatasetConfig) throws -> Dataset {
        try InputFile.requireDirectory(config.dataRoot, what: "the dataset folder (--data-root)")
        if let sal = config.saliencyRoot {
            try InputFile.requireDirectory(sal, what: "the saliency folder (--saliency-root)")
        }
        if let labelDir = config.labelDir {
            try InputFile.requireDirectory(labelDir, what: "the label-map folder (--label-dir)")
        }
        if let images = config.imageDir {
            try InputFile.requireDirectory(images, what: "the image folder (--img-dir)")
        } else {
            try checkImageFolder(config)
        }
        let ids = try readList(config.listFile)
        let classes = try ClassNames.resolve(kind: config.kind, file: config.classNamesFile)
        let table = try config.labelsFile.map { try LabelSources.readLabelFile($0, numClasses: classes.count) }
        // Segmentation (label maps) needs no image-level labels.
        if config.labelsFile == nil && config.kind == .coco && config.imageLabels {
            throw DataError(config.listFile, "COCO needs --labels (a label file or an instances JSON)")
        }
        let imageDir = config.resolvedImageDir
        let samples = ids.map { id in
            Sample(
                id: id, imagePath: "\(imageDir)/\(id).jpg",
                saliencyPath: config.saliencyRoot.map { "\($0)/\(id).png" },
                labels: table?[id] ?? [], labelMapPath: config.labelDir.map { "\($0)/\(id).png" })
        }
        return Dataset(config: config, classNames: classes, samples: samples)
    }

    /// Without --img-dir the images are in a folder of --data-root; when it is
    /// missing, one error instead of a "not found" per image — and when
    /// --data-root itself holds the JPEGs (the official code's --data_root is
    /// the image folder), the flags that say so.
    static func checkImageFolder(_ config: DatasetConfig) throws {
        let images = config.resolvedImageDir
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: images, isDirectory: &isDirectory) && isDirectory.boolValue { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: config.dataRoot)) ?? []
        let jpegs = names.filter { [".jpg", ".jpeg"].contains(where: $0.lowercased().hasSuffix) }.count
        let parent = (config.dataRoot as NSString).deletingLastPathComponent
        let folder = config.kind == .voc ? "JPEGImages" : "train2014/ or images"
        guard jpegs == 0 else {
            throw DataError(
                config.dataRoot,
                "--data-root looks like an image folder (\(jpegs) JPEG files, no \(folder)/): here --data-root is the "
                    + "dataset root; pass --img-dir \(config.dataRoot) --data-root "
                    + (parent.isEmpty ? "." : parent))
        }
        throw DataError(
            config.dataRoot,
            "no image folder \(folder)/ in --data-root: give the dataset root that holds it, or the images with --img-dir"
        )
    }

    /// Ids of a list file: one per line, blanks ignored.
    public static func readList(_ path: String) throws -> [String] {
        var text = try InputFile.text(path, what: "the list file")
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }  // a byte-order mark from an editor
        let ids = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        guard !ids.isEmpty else { throw DataError(path, "list file names no image id") }
        // An id names files inside the dataset and output folders: it must not leave them.
        if let bad = ids.firstIndex(where: { $0.contains("/") || $0.contains("\\") || $0.hasPrefix(".") }) {
            throw DataError(
                path,
                "id '\(ids[bad])' (entry \(bad + 1)) is not a plain file name: ids have no '/', '\\' or leading '.' "
                    + "(a list of paths like '/JPEGImages/x.jpg' needs only 'x')")
        }
        if let bad = ids.firstIndex(where: { $0.unicodeScalars.contains { $0.value < 0x20 } }) {
            throw DataError(path, "entry \(bad + 1) holds a control character")
        }
        var seen = Set<String>()
        var repeated: [String] = []
        for id in ids where !seen.insert(id).inserted && !repeated.contains(id) { repeated.append(id) }
        guard repeated.isEmpty else {
            throw DataError(
                path,
                "\(repeated.count) id(s) listed more than once (each would count again): "
                    + repeated.prefix(10).joined(separator: ", ") + (repeated.count > 10 ? ", ..." : ""))
        }
        return ids
    }

    /// Checks every sample once: image exists and decodes fully (a truncated
    /// file found at hour 9 would waste the allocation),
    /// saliency exists with the same size, labels known (from the XML when no
    /// label file was given) and non-empty, label map (when the sample has one)
    /// of the image's size holding class indices or 255. Returns the dataset with labels
    /// filled in and every problem found, so all are reported together.
    /// `imageLabels` false (segmentation training): image-level labels are not read.
    public func validated(
        requireSaliency: Bool, requireLabels: Bool = true, imageLabels: Bool = true
    ) -> (Dataset, [DataError]) {
        let result = validatedCountingLabelMaps(
            requireSaliency: requireSaliency, requireLabels: requireLabels, imageLabels: imageLabels)
        return (result.dataset, result.problems)
    }

    /// `validated`, also counting the label maps read and those holding a pixel other than 255:
    /// maps that are all 255 train at loss 0 without a word, and only the whole list (over every
    /// rank's share) can say that none has a label.
    public func validatedCountingLabelMaps(
        requireSaliency: Bool, requireLabels: Bool = true, imageLabels: Bool = true
    ) -> (dataset: Dataset, problems: [DataError], labelMaps: Int, labelledMaps: Int) {
        var problems: [DataError] = []
        var checked: [Sample] = []
        var labelMaps = 0
        var labelledMaps = 0
        for var sample in samples {
            var ok = true
            if imageLabels && sample.labels.isEmpty {
                if config.labelsFile != nil {
                    problems.append(DataError(config.labelsFile!, "no labels for '\(sample.id)'"))
                    ok = false
                } else {
                    do {
                        sample.labels = try LabelSources.vocLabels(
                            xml: "\(config.dataRoot)/Annotations/\(sample.id).xml", classes: classNames)
                    } catch {
                        problems.append(
                            DataError.wrapping(error, path: "\(config.dataRoot)/Annotations/\(sample.id).xml"))
                        ok = false
                    }
                }
            }
            if ok && imageLabels && requireLabels && !sample.labels.contains(where: { $0 > 0 }) {
                problems.append(DataError(sample.id, "image has no object label; remove it from the list"))
                ok = false
            }
            var size: (width: Int, height: Int)? = nil
            do {
                let image = try ImageCodecs.readJPEG(sample.imagePath)
                size = (image.width, image.height)
            } catch {
                problems.append(DataError.wrapping(error, path: sample.imagePath))
                ok = false
            }
            if requireSaliency, let salPath = sample.saliencyPath {
                do {
                    let sal = try ImageCodecs.readPNG(salPath)
                    if let size, sal.width != size.width || sal.height != size.height {
                        problems.append(
                            DataError(
                                salPath,
                                "saliency is \(sal.width)×\(sal.height) but the image is "
                                    + "\(size.width)×\(size.height); resize it to the image"
                            ))
                        ok = false
                    }
                } catch {
                    problems.append(DataError.wrapping(error, path: salPath))
                    ok = false
                }
            }
            if let path = sample.labelMapPath, let size {
                do {
                    let map = try MaskFiles.readLabelMap(path, classes: segmentationClasses, size: size)
                    labelMaps += 1
                    if map.pixels.contains(where: { $0 != MaskFiles.ignoreLabel }) { labelledMaps += 1 }
                } catch {
                    problems.append(DataError.wrapping(error, path: path))
                    ok = false
                }
            }
            if ok { checked.append(sample) }
        }
        return (with(samples: checked), problems, labelMaps, labelledMaps)
    }
}
