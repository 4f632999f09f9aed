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
