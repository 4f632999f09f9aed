import Data
import Foundation
import Support

/// The maps `infer --cam-npy` saved for one image, in either format: the
/// field's dict of the image's classes (`CAMArrays`) or one dense C×H×W array.
enum SavedMaps {
    /// Dense maps [classes, height, width] (zero for classes the file does not hold), checked
    /// against the image's size (from its ground truth or image) and the class count.
    static func read(_ path: String, classes: Int, height: Int, width: Int) throws -> [Float] {
        try load(path, classes: classes, height: height, width: width).dense
    }

    /// The image's classes (ascending 0-based indices) and their maps (H·W each): the dict's
    /// classes, or for a dense array the classes whose plane is not all zero (absent ones are zero).
    static func classMaps(_ path: String, classes: Int, height: Int, width: Int) throws -> (
        classIndices: [Int], maps: [[Float]]
    ) {
        let (dense, held) = try load(path, classes: classes, height: height, width: width)
        let plane = height * width
        let planes = (0..<classes).map { dense[($0 * plane)..<(($0 + 1) * plane)] }
        let indices = held ?? (0..<classes).filter { planes[$0].contains { $0 != 0 } }
        return (indices, indices.map { Array(planes[$0]) })
    }

    /// Dense maps, and the dict's class indices (nil for a dense file).
    private static func load(_ path: String, classes: Int, height: Int, width: Int) throws -> (
        dense: [Float], held: [Int]?
    ) {
        let bytes = [UInt8](try InputFile.read(path, what: "the saved maps"))
        let fix = "write the maps with eps-dist infer --cam-npy"
        let npy: NumpyFile
        do { npy = try NumpyFile.parse(bytes) } catch {
            throw DataError(path, "not a readable .npy file (\(error)); \(fix)")
        }
        if npy.descr == "|O" {
            let cams: CAMArrays
            do { cams = try CAMArrays.parse(bytes) } catch { throw DataError(path, "\(error); \(fix)") }
            guard cams.classIndices.isEmpty || (cams.height == height && cams.width == width) else {
                throw DataError(
                    path, "maps are \(cams.width)×\(cams.height), the image is \(width)×\(height); \(fix)")
            }
            if let c = cams.classIndices.last, c >= classes {
                throw DataError(path, "holds class index \(c), the dataset has \(classes) classes (0…\(classes - 1))")
            }
            return (cams.dense(classes: classes), cams.classIndices)
        }
        guard npy.descr == "<f4", !npy.fortranOrder, npy.shape == [classes, height, width],
            npy.payload.count == classes * height * width * 4
        else {
            throw DataError(
                path,
                "expected a dict {class: H×W map} or float32 maps of shape (\(classes), \(height), \(width)) like its "
                    + "image, found \(npy.descr) \(npy.shape); \(fix)")
        }
        let values = npy.payload.withUnsafeBytes { WeightDType.float32.floats($0) }
        guard values.allSatisfy({ $0.isFinite }) else { throw DataError(path, "holds a non-finite value; \(fix)") }
        return (values, nil)
    }
}
