import Foundation

/// A grouped bar chart as inline SVG (per-class IoU, precision, recall): one
/// slot per category, one bar per group in it, category names turned below
/// the axis, each bar's value in its tooltip. A NaN value draws no bar.
public struct SVGBarChart {
    public struct Group {
        public var name: String
        /// One value per category.
        public var values: [Double]
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    public var title: String
    public var yLabel: String
    public var categories: [String]
    public var groups: [Group]
    /// Values the y axis always covers (0 and 100 for percentages).
    public var yIncludes: [Double]
    public var height = 320

    public init(title: String, yLabel: String, categories: [String], groups: [Group], yIncludes: [Double] = [0]) {
        precondition(groups.allSatisfy { $0.values.count == categories.count }, "one value per category")
        self.title = title
        self.yLabel = yLabel
        self.categories = categories
        self.groups = groups
        self.yIncludes = yIncludes
    }

    static let barWidth = 9.0
    static let slotGap = 10.0
    var slotWidth: Double { Double(groups.count) * Self.barWidth + Self.slotGap }

    /// Wide enough for every category's slot and the legend.
    public var width: Int { max(600, Int(70 + Double(categories.count) * slotWidth + 20)) }

    public var svg: String {
        let yAxis = ChartAxis(covering: groups.flatMap(\.values), including: yIncludes)
        let p = (left: 70.0, top: 50.0, width: Double(width) - 90, height: Double(height) - 50 - 90)
        func py(_ y: Double) -> Double { p.top + (1 - yAxis.fraction(y)) * p.height }
        var out = SVGFrame.open(width: width, height: height, title: title)
        out += SVGFrame.axes(
            plot: p, xTicks: [], yTicks: yAxis.ticks.map { (py($0), ChartAxis.label($0)) }, xLabel: "",
            yLabel: yLabel)
        let slot = p.width / Double(max(categories.count, 1))
        let zero = py(max(yAxis.low, min(0, yAxis.high)))
        for (c, category) in categories.enumerated() {
            let start = p.left + Double(c) * slot + (slot - Double(groups.count) * Self.barWidth) / 2
            for (g, group) in groups.enumerated() where group.values[c].isFinite {
                let top = py(group.values[c])
                out += "<rect x=\"\(SVGFrame.coordinate(start + Double(g) * Self.barWidth))\" "
                out +=
                    "y=\"\(SVGFrame.coordinate(min(top, zero)))\" width=\"\(SVGFrame.coordinate(Self.barWidth - 1))\" "
                out += "height=\"\(SVGFrame.coordinate(abs(zero - top)))\" fill=\"\(ChartColors.at(g))\">"
                out += "<title>\(HTML.escape("\(category) \(group.name) \(HTML.number(group.values[c]))"))</title>"
                out += "</rect>\n"
            }
            let x = p.left + (Double(c) + 0.5) * slot
            let y = p.top + p.height + 10
            out += "<text x=\"\(SVGFrame.coordinate(x))\" y=\"\(SVGFrame.coordinate(y))\" text-anchor=\"end\" "
            out += "transform=\"rotate(-45 \(SVGFrame.coordinate(x)) \(SVGFrame.coordinate(y)))\">"
            out += "\(HTML.escape(category))</text>\n"
        }
        out += SVGFrame.legend(groups.map(\.name), x: p.left, y: 36)
        return out + "</svg>\n"
    }
}
