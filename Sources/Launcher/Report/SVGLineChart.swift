import Foundation

/// A line chart as inline SVG (training curves, the threshold sweep): one
/// polyline per series, broken where a value is missing (NaN), dots when
/// there are few points, round ticks, a legend, and vertical markers (the
/// chosen threshold). Every text is escaped; the result is well-formed XML.
public struct SVGLineChart {
    public struct Series {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public init(name: String, x: [Double], y: [Double]) {
            precondition(x.count == y.count, "a series needs one y per x")
            self.name = name
            self.x = x
            self.y = y
        }
    }

    /// A vertical line at `x` labelled `label`.
    public struct Marker {
        public var x: Double
        public var label: String
        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var markers: [Marker]
    public var width = 600
    public var height = 300

    public init(title: String, xLabel: String, yLabel: String, series: [Series], markers: [Marker] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.markers = markers
    }

    /// Plot area inside the margins (pixels).
    var plot: (left: Double, top: Double, width: Double, height: Double) {
        (70, 50, Double(width) - 70 - 20, Double(height) - 50 - 46)
    }

    public var svg: String {
        let finite = series.flatMap { s in zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite } }
        let xAxis = ChartAxis(covering: finite.map(\.0) + markers.map(\.x))
        let yAxis = ChartAxis(covering: finite.map(\.1))
        let p = plot
        func px(_ x: Double) -> Double { p.left + xAxis.fraction(x) * p.width }
        func py(_ y: Double) -> Double { p.top + (1 - yAxis.fraction(y)) * p.height }
        var out = SVGFrame.open(width: width, height: height, title: title)
        out += SVGFrame.axes(
            plot: p, xTicks: xAxis.ticks.map { (px($0), ChartAxis.label($0)) },
            yTicks: yAxis.ticks.map { (py($0), ChartAxis.label($0)) }, xLabel: xLabel, yLabel: yLabel)
        if finite.isEmpty {
            out += SVGFrame.text("no data", x: p.left + p.width / 2, y: p.top + p.height / 2, anchor: "middle")
        }
        for (i, s) in series.enumerated() {
            let colour = ChartColors.at(i)
            for run in Self.finiteRuns(s) {
                let points = run.map { SVGFrame.point(px($0.x), py($0.y)) }.joined(separator: " ")
                out += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\"/>\n"
            }
            let dots = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }
            if dots.count <= 40 {
                for (x, y) in dots {
                    out +=
                        "<circle cx=\"\(SVGFrame.coordinate(px(x)))\" cy=\"\(SVGFrame.coordinate(py(y)))\" r=\"2.5\" "
                    out += "fill=\"\(colour)\"><title>\(HTML.escape("\(s.name): \(ChartAxis.label(x)), "))"
                    out += "\(HTML.escape(ChartAxis.label(y)))</title></circle>\n"
                }
            }
        }
        for (i, marker) in markers.enumerated() where marker.x.isFinite {
            let x = px(marker.x)
            out += "<line x1=\"\(SVGFrame.coordinate(x))\" y1=\"\(SVGFrame.coordinate(p.top))\" "
            out += "x2=\"\(SVGFrame.coordinate(x))\" y2=\"\(SVGFrame.coordinate(p.top + p.height))\" "
            out += "stroke=\"#444\" stroke-dasharray=\"5 3\"/>\n"
            // Right of the line, or left of it in the plot's right third (kept inside the picture).
            let right = x < p.left + p.width * 2 / 3
            out += SVGFrame.text(
                marker.label, x: right ? x + 4 : x - 4, y: p.top + 12 + Double(i) * 13, anchor: right ? "start" : "end")
        }
        out += SVGFrame.legend(series.map(\.name), x: p.left, y: 36)
        return out + "</svg>\n"
    }

    /// The stretches of consecutive finite points (a missing value breaks the line).
    static func finiteRuns(_ s: Series) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = [[]]
        for (x, y) in zip(s.x, s.y) {
            if x.isFinite && y.isFinite {
                runs[runs.count - 1].append((x, y))
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        return runs.filter { $0.count >= 2 }
    }
}
