import Data
import Foundation
import Support

/// The maps `infer --cam-npy` saved for one image, in either format: the
/// field's dict of the image's classes (`CAMArrays`) or one dense C×H×W array.
enum SavedMaps {
    /// Dense maps [classes, height, width] (zero for classes the file does not hold), checked
    /// against the image's size (from its ground truth or image) and the class count.
    static func read(_ path: String, classes: Int, height: Int, width: Int) throws -> [Float] {
        switch try load(path, classes: classes, height: height, width: width) {
        case .dict(let cams): return cams.dense(classes: classes)
        case .dense(let values): return values
        }
    }

    /// The maps of the image's classes: the dict's entries, or the classes whose map in a dense
    /// array is not all zero (the dense format writes zeros for the classes an image lacks).
    static func classMaps(_ path: String, classes: Int, height: Int, width: Int) throws -> CAMArrays {
        switch try load(path, classes: classes, height: height, width: width) {
        case .dict(let cams): return cams
        case .dense(let values):
            let plane = height * width
            let present = (0..<classes).map { c in values[(c * plane)..<((c + 1) * plane)].contains { $0 != 0 } }
            return values.withUnsafeBufferPointer {
                CAMArrays(dense: $0, classes: classes, height: height, width: width, present: present)
            }
        }
    }

    enum Contents {
        case dict(CAMArrays)
        case dense([Float])
    }

    /// The file's maps as stored, after every check of size, classes and values.
    static func load(_ path: String, classes: Int, height: Int, width: Int) throws -> Contents {
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
            // No class at all (an image without labels): all background, at the image's size.
            if cams.classIndices.isEmpty {
                return .dict(CAMArrays(height: height, width: width, classIndices: [], maps: []))
            }
            return .dict(cams)
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
        return .dense(values)
    }
}
