import Foundation

/// The parts every chart of the report shares: the <svg> element with its
/// title, axes with ticks and labels, the legend, text and coordinates.
enum SVGFrame {
    static func open(width: Int, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTML.escape(title))\" "
            + "font-family=\"sans-serif\" font-size=\"11\">\n<title>\(HTML.escape(title))</title>\n"
            + "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#fff\"/>\n"
            + text(
                title, x: Double(width) / 2, y: 18, anchor: "middle", extra: " font-size=\"13\" font-weight=\"bold\"")
    }

    /// Frame, grid lines and tick labels; ticks are (pixel, label). `xTicks`
    /// may be empty (the bar chart labels its categories itself).
    static func axes(
        plot p: (left: Double, top: Double, width: Double, height: Double), xTicks: [(Double, String)],
        yTicks: [(Double, String)], xLabel: String, yLabel: String
    ) -> String {
        var out = "<g stroke=\"#ddd\" stroke-width=\"1\">\n"
        for (y, _) in yTicks {
            out += line(p.left, y, p.left + p.width, y)
        }
        out += "</g>\n"
        out += "<rect x=\"\(coordinate(p.left))\" y=\"\(coordinate(p.top))\" width=\"\(coordinate(p.width))\" "
        out += "height=\"\(coordinate(p.height))\" fill=\"none\" stroke=\"#888\"/>\n"
        for (y, label) in yTicks {
            out += text(label, x: p.left - 6, y: y + 4, anchor: "end")
        }
        for (x, label) in xTicks {
            out += "<g stroke=\"#888\">" + line(x, p.top + p.height, x, p.top + p.height + 4) + "</g>"
            out += text(label, x: x, y: p.top + p.height + 16, anchor: "middle")
        }
        if !xLabel.isEmpty {
            out += text(xLabel, x: p.left + p.width / 2, y: p.top + p.height + 34, anchor: "middle")
        }
        let middle = p.top + p.height / 2
        out += "<text x=\"14\" y=\"\(coordinate(middle))\" text-anchor=\"middle\" "
        out += "transform=\"rotate(-90 14 \(coordinate(middle)))\">\(HTML.escape(yLabel))</text>\n"
        return out
    }

    /// One row of coloured swatches and names, from (x, y).
    static func legend(_ names: [String], x: Double, y: Double) -> String {
        var out = ""
        var at = x
        for (i, name) in names.enumerated() {
            out += "<rect x=\"\(coordinate(at))\" y=\"\(coordinate(y - 9))\" width=\"12\" height=\"10\" "
            out += "fill=\"\(ChartColors.at(i))\"/>"
            out += text(name, x: at + 16, y: y, anchor: "start")
            at += 16 + Double(name.count) * 6.5 + 14
        }
        return out
    }

    static func text(_ content: String, x: Double, y: Double, anchor: String, extra: String = "") -> String {
        "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" text-anchor=\"\(anchor)\"\(extra)>"
            + "\(HTML.escape(content))</text>\n"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> String {
        "<line x1=\"\(coordinate(x1))\" y1=\"\(coordinate(y1))\" x2=\"\(coordinate(x2))\" y2=\"\(coordinate(y2))\"/>\n"
    }

    static func point(_ x: Double, _ y: Double) -> String { "\(coordinate(x)),\(coordinate(y))" }

    /// A pixel coordinate with one decimal.
    static func coordinate(_ v: Double) -> String { String(format: "%.1f", v) }
}
