import Foundation

/// Pillow's Image.resize(..., BICUBIC) for 8-bit images, reproduced from its
/// algorithm (Resample.c): separable, a = −0.5, the support widened by the
/// scale when shrinking (antialiasing), coefficients normalised and turned
/// into 22-bit fixed point, horizontal pass first with the intermediate
/// rounded and clipped to 8 bits, then the vertical pass.
public enum PillowResize {
    static let precisionBits = 32 - 8 - 2

    static func bicubic(_ x0: Double) -> Double {
        let a = -0.5
        let x = abs(x0)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Per output pixel: first input index and fixed-point weights.
    struct Coefficients {
        var start: [Int]
        var weights: [[Int]]
    }

    static func coefficients(input: Int, output: Int) -> Coefficients {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = 2.0 * filterScale
        var starts: [Int] = []
        var weights: [[Int]] = []
        for xx in 0..<output {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(Int(center - support + 0.5), 0)  // C (int) truncation
            let xmax = min(Int(center + support + 0.5), input) - xmin
            var k = (0..<max(xmax, 0)).map { bicubic((Double($0 + xmin) - center + 0.5) * ss) }
            let total = k.reduce(0, +)
            if total != 0 { k = k.map { $0 / total } }
            let one = Double(1 << precisionBits)
            starts.append(xmin)
            weights.append(k.map { $0 < 0 ? Int($0 * one - 0.5) : Int($0 * one + 0.5) })
        }
        return Coefficients(start: starts, weights: weights)
    }

    @inline(__always) static func clip8(_ v: Int) -> UInt8 {
        let shifted = v >> precisionBits
        return shifted <= 0 ? 0 : (shifted >= 255 ? 255 : UInt8(shifted))
    }

    public static func resize(_ image: Image8, width: Int, height: Int) -> Image8 {
        var current = image
        let half = 1 << (precisionBits - 1)
        let ch = image.channels
        if width != image.width {
            let co = coefficients(input: image.width, output: width)
            var out = Image8(width: width, height: current.height, channels: ch)
            for y in 0..<current.height {
                for x in 0..<width {
                    let start = co.start[x]
                    let k = co.weights[x]
                    for c in 0..<ch {
                        var acc = half
                        for j in 0..<k.count {
                            acc += Int(current.pixels[(y * current.width + start + j) * ch + c]) * k[j]
                        }
                        out.pixels[(y * width + x) * ch + c] = clip8(acc)
                    }
                }
            }
            current = out
        }
        if height != image.height {
            let co = coefficients(input: image.height, output: height)
            var out = Image8(width: current.width, height: height, channels: ch)
            for y in 0..<height {
                let start = co.start[y]
                let k = co.weights[y]
                for x in 0..<current.width {
                    for c in 0..<ch {
                        var acc = half
                        for j in 0..<k.count {
                            acc += Int(current.pixels[((start + j) * current.width + x) * ch + c]) * k[j]
                        }
                        out.pixels[(y * current.width + x) * ch + c] = clip8(acc)
                    }
                }
            }
            current = out
        }
        return current
    }

    /// Python's round(), half to even, as the reference uses for target sizes.
    public static func roundHalfEven(_ v: Double) -> Int { Int(v.rounded(.toNearestOrEven)) }

    /// The reference's RandomResizeLong size rule: the long side becomes
    /// `target`, the short side round(short·target/long).
    public static func longSideSize(width w: Int, height h: Int, target: Int) -> (width: Int, height: Int) {
        if w < h { return (roundHalfEven(Double(w * target) / Double(h)), target) }
        return (target, roundHalfEven(Double(h * target) / Double(w)))
    }
}
