import Data
import Foundation
import Support

/// A small VOC-layout dataset on disk for the loader tests: `count` JPEGs of
/// varying sizes, grey saliency maps, image-level labels in a text file and
/// palette label maps (classes 0…`classes`−1 plus some 255) in `labels/`.
enum LoaderTestData {
    static let objectClasses = 3

    static func make(in dir: String, count: Int) throws -> DatasetConfig {
        let fm = FileManager.default
        for sub in ["JPEGImages", "sal", "labels"] {
            try fm.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true)
        }
        var ids: [String] = []
        var labelLines: [String] = []
        for i in 0..<count {
            let id = "img\(i)"
            let (w, h) = (37 + 9 * (i % 4), 29 + 7 * (i % 3))
            var rgb = Image8(width: w, height: h, channels: 3)
            var sal = Image8(width: w, height: h, channels: 1)
            var label = Image8(width: w, height: h, channels: 1)
            for y in 0..<h {
                for x in 0..<w {
                    rgb[x, y, 0] = UInt8((x * 7 + i * 13) % 256)
                    rgb[x, y, 1] = UInt8((y * 11 + x * 3) % 256)
                    rgb[x, y, 2] = UInt8((x * y + i) % 256)
                    sal[x, y, 0] = UInt8((x + y) * 255 / (w + h))
                    let inside = x > w / 4 && x < 3 * w / 4 && y > h / 4 && y < 3 * h / 4
                    label[x, y, 0] = inside ? UInt8(1 + i % objectClasses) : (x == 0 ? 255 : 0)
                }
            }
            try ImageCodecs.writeJPEG(rgb, to: "\(dir)/JPEGImages/\(id).jpg")
            try ImageCodecs.writePNG(sal, to: "\(dir)/sal/\(id).png")
            try ImageCodecs.writePNG(label, to: "\(dir)/labels/\(id).png", palette: ImageCodecs.vocPalette)
            ids.append(id)
            labelLines.append("\(id) \(i % objectClasses)")
        }
        try (ids.joined(separator: "\n") + "\n").write(toFile: "\(dir)/list.txt", atomically: true, encoding: .utf8)
        try (labelLines.joined(separator: "\n") + "\n").write(
            toFile: "\(dir)/cls.txt", atomically: true, encoding: .utf8)
        try "cat\ndog\nbird\n".write(toFile: "\(dir)/classes.txt", atomically: true, encoding: .utf8)
        return DatasetConfig(
            kind: .voc, dataRoot: dir, listFile: "\(dir)/list.txt", saliencyRoot: "\(dir)/sal",
            labelsFile: "\(dir)/cls.txt", classNamesFile: "\(dir)/classes.txt")
    }
}
