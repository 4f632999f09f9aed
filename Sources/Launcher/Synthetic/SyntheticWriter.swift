import Data
import Foundation
import Support

/// Writes a synthetic dataset, deterministic for a seed, in one of two layouts
/// and of one of two difficulties (easy: `SyntheticScene`, small flat
/// pictures; hard: `HardScene`, VOC-sized photograph-like ones).
/// VOC: JPEGImages/<id>.jpg, Annotations/<id>.xml, SegmentationClassAug/<id>.png
/// (palette, 255 on borders), saliency/<id>.png, context/<id>.png (0 none,
/// 1 rails, 2 water, and 3 sky in hard data; names in context/names.txt) and
/// ImageSets/Segmentation/{train,val,train_multiclass}.txt (the last: training
/// images with two or more classes).
/// COCO: train2014/<id>.jpg, annotations/instances_train.json (80 categories
/// with their real ids), SegmentationClass/<id>.png (COCO indices), saliency/,
/// context/ and {train,val}.txt.
public enum SyntheticWriter {
    public enum Format: String, CaseIterable { case voc, coco }
    public enum Difficulty: String, CaseIterable { case easy, hard }

    public struct Summary {
        public var trainIds: [String]
        /// Training images showing two or more classes (train_multiclass.txt).
        public var trainMulticlassIds: [String] = []
        public var valIds: [String]
        public var imagesPerClass: [String: Int]
    }

    /// The 80 COCO category ids in ascending order (index = class).
    static let cocoCategoryIds =
        Array(1...11) + Array(13...25) + [27, 28] + Array(31...44) + Array(46...65) + [67, 70]
        + Array(72...82) + Array(84...90)
    static let cocoNameOfVOC = [
        "aeroplane": "airplane", "bird": "bird", "boat": "boat", "car": "car", "cow": "cow", "horse": "horse",
        "person": "person", "train": "train",
    ]

    struct Layout {
        let format: Format
        let root: String
        var imageDir: String { format == .voc ? "\(root)/JPEGImages" : "\(root)/train2014" }
        var gtDir: String { format == .voc ? "\(root)/SegmentationClassAug" : "\(root)/SegmentationClass" }
        var listDir: String { format == .voc ? "\(root)/ImageSets/Segmentation" : root }
        var folders: [String] {
            [imageDir, gtDir, listDir, "\(root)/saliency", "\(root)/context"]
                + (format == .voc ? ["\(root)/Annotations"] : ["\(root)/annotations"])
        }
        func id(_ index: Int) -> String {
            format == .voc ? String(format: "synth_%06d", index) : String(format: "COCO_train2014_%012d", index + 1)
        }
        /// The dataset's 0-based class index of a scene object (VOC index in).
        func classIndex(_ vocIndex: Int) -> Int {
            format == .voc
                ? vocIndex : ClassNames.coco.firstIndex(of: SyntheticWriter.cocoNameOfVOC[ClassNames.voc[vocIndex]]!)!
        }
        var classNames: [String] { format == .voc ? ClassNames.voc : ClassNames.coco }
    }

    /// The marker a synthetic dataset carries, so `synth` may write into it again.
    static let marker = "SYNTHETIC.txt"

    /// `synth` writes list files and images: it must not write into someone's
    /// real dataset, only into a new or empty folder or an earlier synth output.
    public static func requireFreshOrSynthetic(_ root: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        guard names.isEmpty || names.contains(marker) else {
            throw UsageError(
                "\(root) (--out) already holds \(names.count) file(s) and is not a synthetic dataset of eps-dist "
                    + "(no \(marker)); synth would replace its list files: choose a new or empty folder")
        }
    }

    public static func write(
        to root: String, format: Format = .voc, difficulty: Difficulty = .hard, train: Int, val: Int, seed: UInt64,
        scale: Double = 1, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Summary {
        let layout = Layout(format: format, root: root)
        for dir in layout.folders { try OutputFolder.prepare(dir, flag: "--out") }
        // The marker first: a synth killed half-way may be run again into its folder.
        let about =
            "A synthetic dataset written by `eps-dist synth` (difficulty \(difficulty.rawValue), seed \(seed), "
            + "\(train) train + \(val) val, "
        try AtomicFile.write(Data((about + "scale \(scale)).\n").utf8), to: "\(root)/\(marker)")
        var summary = Summary(trainIds: [], valIds: [], imagesPerClass: [:])
        var cocoImages: [[String: Any]] = []
        var cocoAnnotations: [[String: Any]] = []
        let total = train + val
        for index in 0..<total {
            let id = layout.id(index)
            var scene = makeScene(seed: seed, index: index, difficulty: difficulty, scale: scale)
            if format == .coco {
                scene.groundTruth.pixels = scene.groundTruth.pixels.map { v in
                    v == 0 || v == 255 ? v : UInt8(layout.classIndex(Int(v) - 1) + 1)
                }
            }
            try ImageCodecs.writeJPEG(scene.image, to: "\(layout.imageDir)/\(id).jpg", quality: 95)
            try ImageCodecs.writePNG(
                scene.groundTruth, to: "\(layout.gtDir)/\(id).png", palette: ImageCodecs.vocPalette)
            try ImageCodecs.writePNG(scene.saliency, to: "\(root)/saliency/\(id).png")
            try ImageCodecs.writePNG(scene.context, to: "\(root)/context/\(id).png")
            switch format {
            case .voc:
                try AtomicFile.write(
                    Data(annotationXML(id: id, scene: scene).utf8), to: "\(root)/Annotations/\(id).xml")
            case .coco:
                cocoImages.append([
                    "id": index + 1, "file_name": "\(id).jpg", "width": scene.image.width, "height": scene.image.height,
                ])
                for object in scene.objects {
                    let (x0, y0, x1, y1) = object.box
                    cocoAnnotations.append([
                        "id": cocoAnnotations.count + 1, "image_id": index + 1, "iscrowd": 0,
                        "category_id": cocoCategoryIds[layout.classIndex(object.classIndex)],
                        "bbox": [x0, y0, x1 - x0 + 1, y1 - y0 + 1],
                    ])
                }
            }
            if index < train { summary.trainIds.append(id) } else { summary.valIds.append(id) }
            if index < train && Set(scene.objects.map(\.classIndex)).count >= 2 {
                summary.trainMulticlassIds.append(id)
            }
            for object in scene.objects {
                summary.imagesPerClass[layout.classNames[layout.classIndex(object.classIndex)], default: 0] += 1
            }
            progress(index + 1, total)
        }
        if format == .coco {
            let categories = zip(cocoCategoryIds, ClassNames.coco).map { ["id": $0.0, "name": $0.1] as [String: Any] }
            let json: [String: Any] = ["images": cocoImages, "annotations": cocoAnnotations, "categories": categories]
            try AtomicFile.write(
                try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]),
                to: "\(root)/annotations/instances_train.json")
        }
        try AtomicFile.write(
            Data((summary.trainIds.joined(separator: "\n") + "\n").utf8), to: "\(layout.listDir)/train.txt")
        try AtomicFile.write(
            Data((summary.valIds.joined(separator: "\n") + "\n").utf8), to: "\(layout.listDir)/val.txt")
        // The images where one class's map must not take another's pixels: scored on their own.
        try AtomicFile.write(
            Data((summary.trainMulticlassIds.joined(separator: "\n") + "\n").utf8),
            to: "\(layout.listDir)/train_multiclass.txt")
        try AtomicFile.write(
            Data(
                (contextNames(difficulty).enumerated().map { "\($0.offset) \($0.element)" }
                    .joined(separator: "\n") + "\n").utf8), to: "\(root)/context/names.txt")
        return summary
    }

    /// One scene's pixels as `write` makes them for image `index` (VOC class
    /// indices), without touching the disk: for tests and tools that check
    /// the generator itself.
    public struct ScenePixels {
        public let image: Image8
        public let groundTruth: Image8
        public let saliency: Image8
        public let context: Image8
        public let classIndices: [Int]
    }

    public static func scene(seed: UInt64, index: Int, difficulty: Difficulty = .hard, scale: Double = 1)
        -> ScenePixels
    {
        let scene = makeScene(seed: seed, index: index, difficulty: difficulty, scale: scale)
        return ScenePixels(
            image: scene.image, groundTruth: scene.groundTruth, saliency: scene.saliency, context: scene.context,
            classIndices: scene.objects.map(\.classIndex))
    }

    /// Image `index` of the dataset of `seed`: both generators draw from the same key.
    static func makeScene(seed: UInt64, index: Int, difficulty: Difficulty, scale: Double) -> SyntheticScene {
        let key = KeyedRandom.key(seed, UInt64(index), KeyedRandom.Stream.syntheticScene)
        switch difficulty {
        case .easy: return SyntheticScene.make(key: key, scale: scale)
        case .hard: return HardScene.make(key: key, scale: scale)
        }
    }

    /// Names of the context codes, as `eval --context-dir` reads them from
    /// context/names.txt (easy data has no sky, and its file stays as it was).
    public static func contextNames(_ difficulty: Difficulty) -> [String] {
        difficulty == .easy ? SyntheticScene.contextNames : HardScene.contextNames
    }

    /// The VOC layout (the default of every command).
    public static func writeVOC(
        to root: String, difficulty: Difficulty = .hard, train: Int, val: Int, seed: UInt64,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Summary {
        try write(
            to: root, format: .voc, difficulty: difficulty, train: train, val: val, seed: seed, progress: progress)
    }

    static func annotationXML(id: String, scene: SyntheticScene) -> String {
        var xml = "<annotation>\n  <folder>VOC2012</folder>\n  <filename>\(id).jpg</filename>\n"
        xml +=
            "  <size><width>\(scene.image.width)</width><height>\(scene.image.height)</height><depth>3</depth></size>\n"
        for object in scene.objects {
            let (x0, y0, x1, y1) = object.box
            xml += "  <object>\n    <name>\(ClassNames.voc[object.classIndex])</name>\n    <difficult>0</difficult>\n"
            xml += "    <bndbox><xmin>\(x0 + 1)</xmin><ymin>\(y0 + 1)</ymin>"
            xml += "<xmax>\(x1 + 1)</xmax><ymax>\(y1 + 1)</ymax></bndbox>\n  </object>\n"
        }
        return xml + "</annotation>\n"
    }
}
