import Foundation

/// A linear chart axis: the data range rounded out to round tick values
/// (steps of 1, 2 or 5 times a power of ten), and the map to a fraction of
/// the plot. Shared by the line and bar charts.
struct ChartAxis {
    let low: Double
    let high: Double
    let ticks: [Double]

    /// An axis covering the finite `values` (0…1 when there are none);
    /// `including` values (e.g. 0 for bars) are always inside.
    init(covering values: [Double], including: [Double] = [], targetTicks: Int = 5) {
        let finite = (values + including).filter(\.isFinite)
        var lo = finite.min() ?? 0
        var hi = finite.max() ?? 1
        if hi - lo <= 0 {  // one value: widen around it
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let step = Self.niceStep(span: hi - lo, ticks: targetTicks)
        guard step.isFinite, step > 0, ((hi - lo) / step) < 1000 else {  // a span beyond Double: the ends only
            (low, high, ticks) = (lo, hi, [lo, hi])
            return
        }
        let first = (lo / step).rounded(.down)
        let last = (hi / step).rounded(.up)
        low = first * step
        high = last * step
        ticks = (0...Int(last - first)).map { (first + Double($0)) * step }
    }

    /// A round step giving about `ticks` intervals over `span`.
    static func niceStep(span: Double, ticks: Int) -> Double {
        let raw = span / Double(max(ticks, 1))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let ratio = raw / magnitude
        return (ratio <= 1 ? 1 : ratio <= 2 ? 2 : ratio <= 5 ? 5 : 10) * magnitude
    }

    /// 0 at `low`, 1 at `high`.
    func fraction(_ value: Double) -> Double { (value - low) / (high - low) }

    /// A tick label without float noise (0.30000000000000004 → 0.3).
    static func label(_ value: Double) -> String {
        String(format: "%.6g", value)
    }
}

/// The colours of chart series, in order (distinct in print and for the
/// common colour-vision deficiencies).
enum ChartColors {
    static let series = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
    static func at(_ index: Int) -> String { series[index % series.count] }
}
