/// An 8-bit image, row-major HWC (channels 1 = grey or class indices, 3 = RGB).
public struct Image8: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(
            pixels.count == width * height * channels, "pixel count does not match \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(width: Int, height: Int, channels: Int, fill: UInt8 = 0) {
        self.init(
            width: width, height: height, channels: channels,
            pixels: [UInt8](repeating: fill, count: width * height * channels))
    }

    @inline(__always) public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// Mirror left–right.
    public func flippedHorizontally() -> Image8 {
        var out = self
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    out.pixels[(y * width + x) * channels + c] = pixels[(y * width + (width - 1 - x)) * channels + c]
                }
            }
        }
        return out
    }

    /// Mean over channels, as one grey channel (PIL's RGB-averaged saliency).
    public func channelMean() -> [Float] {
        var out = [Float](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            var s = 0
            for c in 0..<channels { s += Int(pixels[i * channels + c]) }
            out[i] = Float(s) / Float(channels)
        }
        return out
    }
}

extension Image8 {
    /// The rectangle x..<x+width, y..<y+height (inside the image), as PIL's crop.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image8 {
        precondition(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= width && y + h <= height, "crop outside the image")
        var out = Image8(width: w, height: h, channels: channels)
        for row in 0..<h {
            let src = ((y + row) * width + x) * channels
            out.pixels.replaceSubrange(
                row * w * channels..<(row + 1) * w * channels, with: pixels[src..<src + w * channels])
        }
        return out
    }

    /// Three channels, as PIL's convert("RGB"): grey repeated, alpha dropped.
    public func rgb() -> Image8 {
        guard channels != 3 else { return self }
        var out = Image8(width: width, height: height, channels: 3)
        for i in 0..<(width * height) {
            for c in 0..<3 { out.pixels[i * 3 + c] = pixels[i * channels + (channels >= 3 ? c : 0)] }
        }
        return out
    }
}
