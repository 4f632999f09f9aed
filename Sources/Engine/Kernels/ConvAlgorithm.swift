import Foundation

/// Which kernel runs a dense 3×3 stride-1 convolution (`--conv-algorithm`):
/// `gemm` im2col + sgemm (exact order of the reference sums), `winograd`
/// F(2×2, 3×3) (Conv2dWinograd: 2.25× fewer multiplications), `winograd4`
/// F(4×4, 3×3) (4× fewer, more rounding), `auto` the one measured fastest
/// for the layer's shape. Both Winograd variants round within the golden
/// tolerances (docs/PERFORMANCE.md). Other convolutions always run on
/// im2col + sgemm.
public enum ConvAlgorithm: String, CaseIterable, Sendable, Codable {
    case auto, gemm, winograd, winograd4

    /// The process-wide choice, set once at start from the command line.
    /// EPS_CONV_ALGORITHM sets the initial value, so the test suite runs once
    /// more with every 3×3 convolution on Winograd (scripts/test.sh).
    nonisolated(unsafe) public static var current: ConvAlgorithm =
        ProcessInfo.processInfo.environment["EPS_CONV_ALGORITHM"].flatMap(ConvAlgorithm.init(rawValue:)) ?? .auto

    /// The Winograd variant that runs convolution g under this choice; nil
    /// for im2col + sgemm.
    public func winogradVariant(_ g: ConvGeometry) -> WinogradVariant? {
        guard Conv2dWinograd.supports(g) else { return nil }
        switch self {
        case .gemm: return nil
        case .winograd: return .f2x2
        case .winograd4: return .f4x4
        case .auto: return Self.autoVariant(g)
        }
    }

    /// `auto`'s rule: Winograd when both sides have enough channels that the
    /// GEMMs, not the transforms, dominate; then the variant with the lower
    /// `winogradCost`. It looks at one image, not the batch, so that every
    /// split of a global batch over ranks picks the same kernels (they round
    /// differently, and the runs must not depend on the rank count).
    static func autoVariant(_ g: ConvGeometry) -> WinogradVariant? {
        guard g.cin >= 64 && g.cout >= 64 else { return nil }
        return winogradCost(.f4x4, g) < winogradCost(.f2x2, g) ? .f4x4 : .f2x2
    }

    /// One image's cost in units of one position's GEMM work for one tile:
    /// positions × (tiles + 55). The tiles count what the tiling wastes at
    /// the plane's edge (F(4×4) on a 28² plane at dilation 2 covers 32²);
    /// the 55 stands for the kernel-side transforms (cout·cin per position,
    /// whatever the plane), measured on ResNet-38's layers at 28² and 56²
    /// with 2 images (docs/PERFORMANCE.md): F(4×4) won at dilation 1 and 4 on
    /// 28², lost at dilation 2, which puts the constant between 41 and 68.
    static func winogradCost(_ variant: WinogradVariant, _ g: ConvGeometry) -> Int {
        let tiling = WinogradTiling(
            n: 1, outH: g.hout, outW: g.wout, dilation: g.dilation, tileOutputs: variant.tileOutputs)
        return variant.positions * (tiling.count + 55)
    }
}
