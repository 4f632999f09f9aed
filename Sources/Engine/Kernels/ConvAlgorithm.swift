import Foundation

/// Which kernel runs a dense 3×3 stride-1 convolution (`--conv-algorithm`):
/// `gemm` im2col + sgemm (exact order of the reference sums), `winograd`
/// F(2×2, 3×3) (Conv2dWinograd: 2.25× fewer multiplications, rounding within
/// the golden tolerances, docs/PERFORMANCE.md), `auto` Winograd where it was
/// measured faster. Other convolutions always run on im2col + sgemm.
public enum ConvAlgorithm: String, CaseIterable, Sendable, Codable {
    case auto, gemm, winograd

    /// The process-wide choice, set once at start from the command line.
    /// EPS_CONV_ALGORITHM sets the initial value, so the test suite runs once
    /// more with every 3×3 convolution on Winograd (scripts/test.sh).
    nonisolated(unsafe) public static var current: ConvAlgorithm =
        ProcessInfo.processInfo.environment["EPS_CONV_ALGORITHM"].flatMap(ConvAlgorithm.init(rawValue:)) ?? .auto

    /// Whether convolution g runs on Winograd under this choice.
    public func usesWinograd(_ g: ConvGeometry) -> Bool {
        guard Conv2dWinograd.supports(g) else { return false }
        switch self {
        case .gemm: return false
        case .winograd: return true
        case .auto: return Self.winogradPays(g)
        }
    }

    /// `auto`'s rule: enough channels on both sides that the 16 GEMMs, not
    /// the transforms, dominate.
    static func winogradPays(_ g: ConvGeometry) -> Bool {
        g.cin >= 64 && g.cout >= 64
    }
}
