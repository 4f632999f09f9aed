import Foundation

/// The CAM file of the field (official EPS `infer.py --cam_npy`, PSA): a .npy
/// holding one pickled dict {0-based class index: H×W float32 map} with the
/// image's classes only, read in Python by `np.load(p, allow_pickle=True).item()`.
/// The maps are max-normalised CAMs (EPS: softmax maps, CAM baseline: ReLU maps).
public struct CAMArrays: Equatable {
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public let height: Int
    public let width: Int
    /// Ascending 0-based class indices (without background).
    public let classIndices: [Int]
    /// One H·W row-major map per class of `classIndices`.
    public let maps: [[Float]]

    public init(height: Int, width: Int, classIndices: [Int], maps: [[Float]]) {
        precondition(classIndices.count == maps.count && maps.allSatisfy { $0.count == height * width })
        precondition(zip(classIndices, classIndices.dropFirst()).allSatisfy { $0 < $1 })
        self.height = height
        self.width = width
        self.classIndices = classIndices
        self.maps = maps
    }

    /// The dict of the classes `present` from dense maps [C, H, W] (row-major).
    public init(dense: UnsafeBufferPointer<Float>, classes: Int, height: Int, width: Int, present: [Bool]) {
        let plane = height * width
        precondition(dense.count == classes * plane && present.count == classes)
        let kept = (0..<classes).filter { present[$0] }
        self.init(
            height: height, width: width, classIndices: kept,
            maps: kept.map { Array(dense[($0 * plane)..<(($0 + 1) * plane)]) })
    }

    /// Dense maps [classes, H, W], zero for the classes the file does not hold.
    public func dense(classes: Int) -> [Float] {
        let plane = height * width
        var out = [Float](repeating: 0, count: classes * plane)
        for (c, map) in zip(classIndices, maps) where c < classes {
            out.replaceSubrange((c * plane)..<((c + 1) * plane), with: map)
        }
        return out
    }

    // MARK: Writing

    /// The .npy bytes: an object array of shape () holding the dict (what `np.save(p, d)` writes).
    public func encoded() -> Data {
        var w = PickleWriter()
        w.openArray(shape: [])
        w.dtype("O8", order: "|", flags: 63)
        w.bool(false)
        w.op(0x5D)  // EMPTY_LIST: the array's objects
        w.op(0x7D)  // EMPTY_DICT
        w.mark()
        for (c, map) in zip(classIndices, maps) {
            w.int(c)
            w.float32Array(map, shape: [height, width])
        }
        w.op(0x75)  // SETITEMS
        w.op(0x61)  // APPEND the dict to the list
        w.closeArray()
        w.stop()
        return w.bytes.withUnsafeBytes { NumpyFile.encode(descr: "|O", shape: [], payload: $0) }
    }

    // MARK: Reading

    /// Parses the bytes of a CAM file; every map must be float32 (or float64) of one H×W,
    /// keys distinct non-negative integers. Never executes the pickle.
    public static func parse(_ bytes: [UInt8]) throws -> CAMArrays {
        let npy: NumpyFile
        do { npy = try NumpyFile.parse(bytes) } catch { throw Failure(reason: "\(error)") }
        guard npy.descr == "|O", npy.shape.isEmpty else {
            throw Failure(
                reason: "holds an array (\(npy.descr), shape \(npy.shape)), not a pickled dict {class: map}")
        }
        let root: PickleValue
        do { root = try PickleReader.parse(npy.payload) } catch { throw Failure(reason: "\(error)") }
        guard let objects = NumpyPickle.objects(root), objects.count == 1, case .dict(let dict) = objects[0] else {
            throw Failure(reason: "the pickle is not a NumPy object array holding one dict")
        }
        var entries: [(Int, [Float])] = []
        var size: [Int]?
        for (key, value) in dict.entries {
            guard let c = classIndex(key), c >= 0, c < 1 << 20 else {
                throw Failure(reason: "a key is not a non-negative class index")
            }
            guard let (shape, values) = NumpyPickle.array(value), shape.count == 2 else {
                throw Failure(reason: "the map of class \(c) is not a 2-D float array")
            }
            if let size, size != shape {
                throw Failure(
                    reason: "the map of class \(c) is \(shape[0])×\(shape[1]), another is \(size[0])×\(size[1])")
            }
            guard values.allSatisfy({ $0.isFinite }) else {
                throw Failure(reason: "the map of class \(c) holds a non-finite value")
            }
            size = shape
            entries.append((c, values))
        }
        entries.sort { $0.0 < $1.0 }
        guard zip(entries, entries.dropFirst()).allSatisfy({ $0.0 < $1.0 }) else {
            throw Failure(reason: "a class index appears twice")
        }
        let shape = size ?? [0, 0]
        return CAMArrays(height: shape[0], width: shape[1], classIndices: entries.map(\.0), maps: entries.map(\.1))
    }

    /// A Python int, or a NumPy integer scalar (`scalar(dtype('i8'), bytes)`).
    static func classIndex(_ key: PickleValue) -> Int? {
        if let i = key.int { return i }
        guard case .call(.global(_, "scalar"), let args) = key, args.count == 2,
            let name = NumpyPickle.dtypeName(args[0]), let dtype = WeightDType(numpyName: name),
            [.int64, .int32, .uint8].contains(dtype), case .bytes(let raw) = args[1], raw.count == dtype.byteWidth
        else { return nil }
        return raw.withUnsafeBytes { dtype.floats($0) }.first.map { Int($0) }
    }
}
