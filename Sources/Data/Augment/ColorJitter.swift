import Foundation
import Support

/// torchvision ColorJitter(brightness, contrast, saturation, hue) on a PIL
/// RGB image, with Pillow's 8-bit semantics: brightness = blend with black,
/// contrast = blend with the mean grey level, saturation = blend with the
/// grey image, hue = shift of H in Pillow's HSV with wrap-around; the four
/// in a random order, factors uniform in [1 − s, 1 + s] (hue in [−h, h]).
public struct ColorJitter: Sendable {
    public var brightness: Float = 0.3
    public var contrast: Float = 0.3
    public var saturation: Float = 0.3
    public var hue: Float = 0.1

    public init(brightness: Float = 0.3, contrast: Float = 0.3, saturation: Float = 0.3, hue: Float = 0.1) {
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
    }

    public enum Operation: Int, CaseIterable, Sendable { case brightness, contrast, saturation, hue }

    public func apply(_ image: Image8, rng: inout KeyedRandom) -> Image8 {
        let order = rng.permutation(4).map { Operation(rawValue: $0)! }
        let b = rng.uniform(1 - brightness, 1 + brightness)
        let c = rng.uniform(1 - contrast, 1 + contrast)
        let s = rng.uniform(1 - saturation, 1 + saturation)
        let h = rng.uniform(-hue, hue)
        var out = image
        for op in order {
            switch op {
            case .brightness: out = Self.adjustBrightness(out, b)
            case .contrast: out = Self.adjustContrast(out, c)
            case .saturation: out = Self.adjustSaturation(out, s)
            case .hue: out = Self.adjustHue(out, h)
            }
        }
        return out
    }

    /// Pillow's Image.blend(a, b, alpha) on 8 bits: a + alpha·(b − a) in
    /// float, truncated (clipped to 0…255 when extrapolating).
    static func blend(_ a: [UInt8], _ b: [UInt8], _ alpha: Float) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: a.count)
        for i in 0..<a.count {
            let v = Float(Int(a[i])) + alpha * Float(Int(b[i]) - Int(a[i]))
            out[i] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
        }
        return out
    }

    /// Pillow's RGB → L: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16.
    static func luminance(_ image: Image8) -> [UInt8] {
        (0..<(image.width * image.height)).map { i in
            let p = i * 3
            let l =
                Int(image.pixels[p]) * 19595 + Int(image.pixels[p + 1]) * 38470 + Int(image.pixels[p + 2]) * 7471
                + 0x8000
            return UInt8(l >> 16)
        }
    }

    public static func adjustBrightness(_ image: Image8, _ factor: Float) -> Image8 {
        var out = image
        out.pixels = blend([UInt8](repeating: 0, count: image.pixels.count), image.pixels, factor)
        return out
    }

    public static func adjustContrast(_ image: Image8, _ factor: Float) -> Image8 {
        let grey = luminance(image)
        let mean = Int(Double(grey.reduce(0) { $0 + Int($1) }) / Double(max(grey.count, 1)) + 0.5)
        var out = image
        out.pixels = blend([UInt8](repeating: UInt8(mean), count: image.pixels.count), image.pixels, factor)
        return out
    }

    public static func adjustSaturation(_ image: Image8, _ factor: Float) -> Image8 {
        let grey = luminance(image)
        var degenerate = [UInt8](repeating: 0, count: image.pixels.count)
        for i in 0..<grey.count {
            degenerate[3 * i] = grey[i]
            degenerate[3 * i + 1] = grey[i]
            degenerate[3 * i + 2] = grey[i]
        }
        var out = image
        out.pixels = blend(degenerate, image.pixels, factor)
        return out
    }

    /// torchvision's adjust_hue for PIL: H += uint8(hue·255) (wrapping).
    public static func adjustHue(_ image: Image8, _ factor: Float) -> Image8 {
        let shift = UInt8(truncatingIfNeeded: Int(factor * 255))
        var out = image
        for i in 0..<(image.width * image.height) {
            let p = i * 3
            var (h, s, v) = rgbToHSV(image.pixels[p], image.pixels[p + 1], image.pixels[p + 2])
            h = h &+ shift
            let (r, g, b) = hsvToRGB(h, s, v)
            out.pixels[p] = r
            out.pixels[p + 1] = g
            out.pixels[p + 2] = b
        }
        return out
    }

    @inline(__always) static func clip8(_ v: Int) -> UInt8 { v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v)) }

    /// Pillow's rgb2hsv (Convert.c).
    static func rgbToHSV(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> (UInt8, UInt8, UInt8) {
        let maxc = max(r, g, b)
        let minc = min(r, g, b)
        if maxc == minc { return (0, 0, maxc) }
        let cr = Float(Int(maxc) - Int(minc))
        let s = cr / Float(maxc)
        let rc = Float(Int(maxc) - Int(r)) / cr
        let gc = Float(Int(maxc) - Int(g)) / cr
        let bc = Float(Int(maxc) - Int(b)) / cr
        var h: Float
        // C promotes `2.0 + rc - bc` to double, then stores a float.
        if r == maxc {
            h = bc - gc
        } else if g == maxc {
            h = Float(2.0 + Double(rc) - Double(bc))
        } else {
            h = Float(4.0 + Double(gc) - Double(rc))
        }
        h = Float(fmod(Double(h) / 6.0 + 1.0, 1.0))
        return (clip8(Int(Double(h) * 255.0)), clip8(Int(Double(s) * 255.0)), maxc)
    }

    /// Pillow's hsv2rgb (Convert.c), with its mix of float and double arithmetic.
    static func hsvToRGB(_ h: UInt8, _ s: UInt8, _ v: UInt8) -> (UInt8, UInt8, UInt8) {
        if s == 0 { return (v, v, v) }
        let hh = Double(Float(h)) * 6.0 / 255.0
        let i = Int(floor(hh))
        let f = Float(hh - Double(i))
        let fs = Float(Double(Float(s)) / 255.0)
        let vf = Double(Float(v))
        let p = clip8(Int((vf * (1.0 - Double(fs))).rounded()))
        let q = clip8(Int((vf * (1.0 - Double(fs * f))).rounded()))
        let t = clip8(Int((vf * (1.0 - Double(fs) * (1.0 - Double(f)))).rounded()))
        switch i % 6 {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }
}
