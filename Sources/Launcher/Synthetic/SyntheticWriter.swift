import Data
import Foundation
import Support

/// Writes a synthetic dataset in the VOC devkit layout:
/// JPEGImages/<id>.jpg, Annotations/<id>.xml, SegmentationClassAug/<id>.png
/// (palette, 255 on borders), saliency/<id>.png (grey), context/<id>.png
/// (0 none, 1 rails, 2 water: for the context-confusion analysis) and
/// ImageSets/Segmentation/{train,val}.txt. Deterministic for a seed.
public enum SyntheticWriter {
    public struct Summary {
        public var trainIds: [String]
        public var valIds: [String]
        public var imagesPerClass: [String: Int]
    }

    public static func writeVOC(to root: String, train: Int, val: Int, seed: UInt64,
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let fm = FileManager.default
        for dir in ["JPEGImages", "Annotations", "SegmentationClassAug", "saliency", "context", "ImageSets/Segmentation"] {
            try fm.createDirectory(atPath: "\(root)/\(dir)", withIntermediateDirectories: true)
        }
        var summary = Summary(trainIds: [], valIds: [], imagesPerClass: [:])
        let total = train + val
        for index in 0..<total {
            let id = String(format: "synth_%06d", index)
            let scene = SyntheticScene.make(key: KeyedRandom.key(seed, UInt64(index), 0x53594e))
            try ImageCodecs.writeJPEG(scene.image, to: "\(root)/JPEGImages/\(id).jpg", quality: 95)
            try ImageCodecs.writePNG(scene.groundTruth, to: "\(root)/SegmentationClassAug/\(id).png", palette: ImageCodecs.vocPalette)
            try ImageCodecs.writePNG(scene.saliency, to: "\(root)/saliency/\(id).png")
            try ImageCodecs.writePNG(scene.context, to: "\(root)/context/\(id).png")
            try AtomicFile.write(Data(annotationXML(id: id, scene: scene).utf8), to: "\(root)/Annotations/\(id).xml")
            if index < train { summary.trainIds.append(id) } else { summary.valIds.append(id) }
            for object in scene.objects { summary.imagesPerClass[ClassNames.voc[object.classIndex], default: 0] += 1 }
            progress(index + 1, total)
        }
        try AtomicFile.write(Data((summary.trainIds.joined(separator: "\n") + "\n").utf8), to: "\(root)/ImageSets/Segmentation/train.txt")
        try AtomicFile.write(Data((summary.valIds.joined(separator: "\n") + "\n").utf8), to: "\(root)/ImageSets/Segmentation/val.txt")
        try AtomicFile.write(Data((SyntheticScene.contextNames.enumerated().map { "\($0.offset) \($0.element)" }
            .joined(separator: "\n") + "\n").utf8), to: "\(root)/context/names.txt")
        return summary
    }

    static func annotationXML(id: String, scene: SyntheticScene) -> String {
        var xml = "<annotation>\n  <folder>VOC2012</folder>\n  <filename>\(id).jpg</filename>\n"
        xml += "  <size><width>\(scene.image.width)</width><height>\(scene.image.height)</height><depth>3</depth></size>\n"
        for object in scene.objects {
            let (x0, y0, x1, y1) = object.box
            xml += "  <object>\n    <name>\(ClassNames.voc[object.classIndex])</name>\n    <difficult>0</difficult>\n"
            xml += "    <bndbox><xmin>\(x0 + 1)</xmin><ymin>\(y0 + 1)</ymin><xmax>\(x1 + 1)</xmax><ymax>\(y1 + 1)</ymax></bndbox>\n  </object>\n"
        }
        return xml + "</annotation>\n"
    }
}
