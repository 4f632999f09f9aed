import Engine
import Foundation
import Support

/// A dense tensor as a plain NumPy .npy (format 1.0, little-endian float32, C order).
public enum NumpyWriter {
    public static func encode(_ t: Tensor) -> Data {
        t.withUnsafeBufferPointer {
            NumpyFile.encode(descr: "<f4", shape: t.shape, payload: UnsafeRawBufferPointer($0))
        }
    }

    public static func write(_ t: Tensor, to path: String) throws {
        try AtomicFile.write(encode(t), to: path)
    }
}
