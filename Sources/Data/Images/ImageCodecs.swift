import CImage
import Foundation
import Support

/// An input file that cannot be used; the message names the file and the fix.
public struct DataError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }

    /// A DataError as it is, any other error as a DataError on `path`.
    public static func wrapping(_ error: Error, path: String) -> DataError {
        error as? DataError ?? DataError(path, "\(error)")
    }
}

/// JPEG and PNG files through the CImage shim (TurboJPEG, libpng).
public enum ImageCodecs {
    public static func readJPEG(_ path: String) throws -> Image8 {
        try decodeJPEG(readBytes(path), path: path)
    }

    /// `readJPEG` of bytes in memory; `path` names them in messages.
    public static func decodeJPEG(_ data: Data, path: String) throws -> Image8 {
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var w: Int32 = 0
        var h: Int32 = 0
        var err = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw in
            cimage_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, data.count, &pixels, &w, &h, &err, err.count)
        }
        guard status == 0, let pixels else {
            throw DataError(path, "not a readable JPEG (\(String(cString: err))); re-export or remove the image")
        }
        defer { cimage_free(pixels) }
        return Image8(
            width: Int(w), height: Int(h), channels: 3,
            pixels: Array(UnsafeBufferPointer(start: pixels, count: Int(w) * Int(h) * 3)))
    }

    /// Width and height from the JPEG header only.
    public static func jpegSize(_ path: String) throws -> (width: Int, height: Int) {
        let data = try readBytes(path)
        var w: Int32 = 0
        var h: Int32 = 0
        var err = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw in
            cimage_jpeg_header(raw.bindMemory(to: UInt8.self).baseAddress, data.count, &w, &h, &err, err.count)
        }
        guard status == 0 else { throw DataError(path, "not a readable JPEG (\(String(cString: err)))") }
        return (Int(w), Int(h))
    }

    public static func writeJPEG(_ image: Image8, to path: String, quality: Int = 92) throws {
        try AtomicFile.write(try encodeJPEG(image, quality: quality, path: path), to: path)
    }

    /// The bytes of a JPEG file of an RGB image; `path` names it in messages.
    public static func encodeJPEG(_ image: Image8, quality: Int = 92, path: String) throws -> Data {
        precondition(image.channels == 3, "JPEG writer takes RGB")
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var err = [CChar](repeating: 0, count: 256)
        guard
            cimage_jpeg_encode(
                image.pixels, Int32(image.width), Int32(image.height), Int32(quality), &out, &size, &err, err.count)
                == 0,
            let out
        else { throw DataError(path, "JPEG encoding failed: \(String(cString: err))") }
        defer { cimage_free(out) }
        return Data(bytes: out, count: size)
    }

    /// Reads a PNG. `indices`: palette PNGs give their raw indices (class
    /// labels), not colours. Grey stays 1 channel; colour gives 3.
    /// A JPEG or PNG photo, told apart by its first bytes, with its own channel count.
    public static func readPhoto(_ path: String) throws -> Image8 {
        let data = try readBytes(path)
        if data.starts(with: [0xFF, 0xD8]) { return try decodeJPEG(data, path: path) }
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(data, path: path) }
        throw DataError(path, "neither a JPEG nor a PNG file; convert the photo to one of them")
    }

    public static func readPNG(_ path: String, indices: Bool = false) throws -> Image8 {
        try decodePNG(readBytes(path), path: path, indices: indices)
    }

    /// `readPNG` of bytes in memory; `path` names them in messages.
    public static func decodePNG(_ data: Data, path: String, indices: Bool = false) throws -> Image8 {
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var w: Int32 = 0
        var h: Int32 = 0
        var c: Int32 = 0
        var err = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw in
            cimage_png_decode(
                raw.bindMemory(to: UInt8.self).baseAddress, data.count, indices ? 1 : 0, &pixels, &w, &h, &c, &err,
                err.count)
        }
        guard status == 0, let pixels else {
            throw DataError(path, "not a readable PNG (\(String(cString: err)))")
        }
        defer { cimage_free(pixels) }
        return Image8(
            width: Int(w), height: Int(h), channels: Int(c),
            pixels: Array(UnsafeBufferPointer(start: pixels, count: Int(w) * Int(h) * Int(c))))
    }

    /// Writes a PNG atomically; with `palette` (RGB triples) a 1-channel image
    /// becomes a palette PNG whose indices read back exactly.
    public static func writePNG(_ image: Image8, to path: String, palette: [UInt8]? = nil) throws {
        let bytes: Data
        do { bytes = try encodePNG(image, palette: palette) } catch let e as DataError {
            throw AtomicFile.WriteError(path: path, reason: "PNG: \(e.reason)")
        }
        try AtomicFile.write(bytes, to: path)
    }

    /// The bytes of a PNG file (1 or 3 channels; see `writePNG`).
    public static func encodePNG(_ image: Image8, palette: [UInt8]? = nil) throws -> Data {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var err = [CChar](repeating: 0, count: 256)
        func encode(_ colours: UnsafeBufferPointer<UInt8>?) -> Int32 {
            cimage_png_encode(
                image.pixels, Int32(image.width), Int32(image.height), Int32(image.channels), colours?.baseAddress,
                Int32((colours?.count ?? 0) / 3), &out, &size, &err, err.count)
        }
        let status = palette.map { $0.withUnsafeBufferPointer { encode($0) } } ?? encode(nil)
        guard status == 0, let out else { throw DataError("<png>", "PNG encoding failed: \(String(cString: err))") }
        defer { cimage_free(out) }
        return Data(bytes: out, count: size)
    }

    static func readBytes(_ path: String) throws -> Data {
        do { return try InputFile.read(path, what: "an image") } catch let e as InputFileError {
            throw DataError(path, e.reason)
        }
    }

    /// The standard VOC colour map (index i → RGB), 256 entries.
    public static let vocPalette: [UInt8] = {
        var palette = [UInt8](repeating: 0, count: 256 * 3)
        for i in 0..<256 {
            var r = 0
            var g = 0
            var b = 0
            var c = i
            for j in 0..<8 {
                r |= ((c >> 0) & 1) << (7 - j)
                g |= ((c >> 1) & 1) << (7 - j)
                b |= ((c >> 2) & 1) << (7 - j)
                c >>= 3
            }
            palette[3 * i] = UInt8(r)
            palette[3 * i + 1] = UInt8(g)
            palette[3 * i + 2] = UInt8(b)
        }
        return palette
    }()
}
