import Foundation

/// The report's sections but the gallery, each from what it shows; a
/// section without its input says which flag or file would give it.
enum ReportSections {
    static func note(_ text: String) -> String { "<p class=\"note\">\(HTML.escape(text))</p>" }

    /// Losses, learning rate, images/s and the time split over the logged steps.
    static func training(_ m: TrainingMetrics, path: String) -> ReportSection {
        var body = ""
        var facts = ["\(m.steps.count) logged step(s)"]
        if let last = m.steps.last { facts.append("last step \(Int(last))") }
        if let loss = m.last("loss") { facts.append("last loss \(HTML.number(loss, digits: 4))") }
        if let elapsed = m.last("elapsed_s") { facts.append("wall time \(duration(elapsed))") }
        if let first = m.firstTimestamp, let last = m.lastTimestamp { facts.append("logged \(first) to \(last)") }
        if m.skippedLines > 0 { facts.append("\(m.skippedLines) unreadable line(s) skipped") }
        body += note("\(path): " + facts.joined(separator: "; "))
        guard !m.steps.isEmpty else { return ReportSection(id: "training", title: "Training", body: body) }
        func chart(_ title: String, _ y: String, _ keys: [(key: String, name: String)]) -> String {
            let present = keys.filter { m.values($0.key).contains(where: \.isFinite) }
            let series = present.map { SVGLineChart.Series(name: $0.name, x: m.steps, y: m.values($0.key)) }
            return SVGLineChart(title: title, xLabel: "step", yLabel: y, series: series).svg
        }
        body += "<div class=\"charts\">\n"
        body += chart("Losses (window means)", "loss", [("loss", "loss"), ("loss_cls", "cls"), ("loss_sal", "sal")])
        body += chart("Learning rate", "lr", [("lr", "lr")])
        body += chart("Throughput", "images/s", [("images_per_s", "images/s")])
        let phases = ["data", "forward", "backward", "allreduce", "step"]
        if phases.contains(where: { m.series["time.\($0)"] != nil }) {
            body += chart("Seconds per step by phase", "seconds", phases.map { ("time.\($0)", $0) })
        }
        body += "</div>"
        return ReportSection(id: "training", title: "Training", body: body)
    }

    /// 3725 → "1 h 02 min 05 s".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d h %02d min %02d s", s / 3600, s % 3600 / 60, s % 60)
            : String(format: "%d min %02d s", s / 60, s % 60)
    }

    /// Per-class IoU, precision and recall as bars and as a table.
    static func scores(_ scores: ReportScores, masks: ReportInputs.Masks) -> ReportSection {
        let m = scores.matrix
        let names = masks.classNames
        let shown = (0..<m.numClasses).filter { !m.iou[$0].isNaN }
        var body = note(
            "\(masks.ids.count) masks of \(masks.dir) scored against \(masks.gtDir) (as eps-dist eval): "
                + "mIoU \(HTML.percent(m.meanIoU)), pixel accuracy \(HTML.percent(m.pixelAccuracy)); "
                + "an all-background mask would score \(HTML.percent(m.allBackgroundMeanIoU)). "
                + "Classes absent from ground truth and masks are left out.")
        let groups = [("IoU", m.iou), ("precision", m.precision), ("recall", m.recall)].map { name, values in
            SVGBarChart.Group(name: name, values: shown.map { values[$0] * 100 })
        }
        let chart = SVGBarChart(
            title: "Per-class scores (%)", yLabel: "%", categories: shown.map { names[$0] }, groups: groups,
            yIncludes: [0, 100])
        body +=
            "<div class=\"charts\"><div class=\"scroll\">\(chart.svg)</div>\n<table>\n<tr><th>class</th><th>IoU</th>"
        body += "<th>precision</th><th>recall</th></tr>\n"
        for c in shown {
            body += "<tr><td>\(HTML.escape(names[c]))</td><td>\(HTML.percent(m.iou[c]))</td>"
            body += "<td>\(HTML.percent(m.precision[c]))</td><td>\(HTML.percent(m.recall[c]))</td></tr>\n"
        }
        body += "<tr><th>mean</th><th>\(HTML.percent(m.meanIoU))</th>"
        body += "<th>\(HTML.percent(ConfusionMatrix.nanMean(m.precision)))</th>"
        body += "<th>\(HTML.percent(ConfusionMatrix.nanMean(m.recall)))</th></tr>\n</table></div>"
        return ReportSection(id: "scores", title: "Per-class scores", body: body)
    }

    /// mIoU over the background threshold, the best and the masks' own threshold marked.
    static func sweep(_ sweep: SweepResult, path: String, masksThreshold: Double?) -> ReportSection {
        var markers: [SVGLineChart.Marker] = []
        var facts = ["\(sweep.thresholds.count) thresholds"]
        if let best = sweep.bestThreshold {
            markers.append(.init(x: best, label: "best \(ChartAxis.label(best))"))
            facts.append("best threshold \(ChartAxis.label(best))")
            if let miou = sweep.bestMIoU { facts.append("mIoU \(HTML.percent(miou))") }
        }
        if let thr = masksThreshold {
            markers.append(.init(x: thr, label: "masks \(ChartAxis.label(thr))"))
            facts.append("the masks were made at \(ChartAxis.label(thr))")
        }
        let chart = SVGLineChart(
            title: "mIoU by background threshold", xLabel: "background threshold", yLabel: "mIoU (%)",
            series: [.init(name: "mIoU", x: sweep.thresholds, y: sweep.miou.map { $0 * 100 })], markers: markers)
        return ReportSection(
            id: "sweep", title: "Threshold sweep", body: note("\(path): " + facts.joined(separator: "; ")) + chart.svg)
    }

    /// Pixels of each context region predicted as a class over the class's true positives.
    static func context(_ c: ContextConfusion, names: [String], dir: String) -> ReportSection {
        let classes = (1..<c.numClasses).filter { k in
            c.truePositives[k] > 0 || (1..<c.regionNames.count).contains { c.regionAsClass[$0 * c.numClasses + k] > 0 }
        }
        var body = note(
            "Context masks \(dir): pixels of the region predicted as the class / pixels of the class predicted "
                + "correctly (the paper's railroad/train analysis; lower is better, – where the class has no "
                + "true positive).")
        body += "<div class=\"scroll\"><table>\n<tr><th>region \\ class</th>"
        body += classes.map { "<th>\(HTML.escape(names[$0]))</th>" }.joined() + "</tr>\n"
        for r in 1..<c.regionNames.count {
            body += "<tr><td>\(HTML.escape(c.regionNames[r]))</td>"
            body += classes.map { "<td>\(HTML.number(c.ratio(region: r, classIndex: $0), digits: 3))</td>" }.joined()
            body += "</tr>\n"
        }
        return ReportSection(id: "context", title: "Context confusion", body: body + "</table></div>")
    }

    /// The run's config.yaml as written, and the masks' provenance.
    static func configuration(_ inputs: ReportInputs) -> ReportSection {
        var body = "<h3>\(HTML.escape(inputs.run.config))</h3>\n<pre>\(HTML.escape(inputs.configText))</pre>\n"
        guard let masks = inputs.masks else {
            return ReportSection(id: "configuration", title: "Configuration and provenance", body: body)
        }
        let path = "\(masks.dir)/\(InferenceProvenance.fileName)"
        if let provenance = masks.provenance {
            body += "<h3>\(HTML.escape(path)) (what made the masks)</h3>\n<table>\n"
            for key in provenance.keys.sorted() {
                body +=
                    "<tr><td>\(HTML.escape(key))</td><td class=\"text\">\(HTML.escape(json(provenance[key])))</td></tr>\n"
            }
            body += "</table>"
        } else {
            body += note("\(path) not found: the masks were not made by eps-dist infer, their provenance is unknown.")
        }
        return ReportSection(id: "configuration", title: "Configuration and provenance", body: body)
    }

    /// A JSON value as one line of text.
    static func json(_ value: Any?) -> String {
        guard let value else { return "" }
        if let s = value as? String { return s }
        guard JSONSerialization.isValidJSONObject([value]),
            let data = try? JSONSerialization.data(
                withJSONObject: [value], options: [.sortedKeys, .withoutEscapingSlashes]),
            let text = String(data: data, encoding: .utf8)
        else { return "\(value)" }
        return String(text.dropFirst().dropLast())  // the array brackets around the value
    }
}
