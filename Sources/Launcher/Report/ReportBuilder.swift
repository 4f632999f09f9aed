import Foundation

/// Puts the report together from its inputs: the sections in order, the
/// ones whose inputs are missing replaced by a note naming the flag.
struct ReportBuilder {
    let inputs: ReportInputs
    /// The sweep JSON (--sweep), nil when not given.
    let sweep: String?
    /// Images per gallery group, and the seed of the random one.
    let gallery: Int
    let seed: UInt64

    func html() throws -> String {
        let metrics = TrainingMetrics(text: inputs.metricsText)
        var sections = [ReportSections.training(metrics, path: inputs.run.metrics)]
        var summary: [String] = ["run \(inputs.run.path)"]
        for key in ["dataset", "arch", "method", "max_iters", "batch_size"] {
            if let value = inputs.config[key] { summary.append("\(key) \(value)") }
        }
        let masksThreshold = inputs.masks?.provenance.flatMap { TrainingMetrics.number($0["thr"]) }
        if let masks = inputs.masks {
            let scores = try ReportScores(masks)
            summary.append("masks mIoU \(HTML.percent(scores.matrix.meanIoU)) over \(masks.ids.count) images")
            sections.append(ReportSections.scores(scores, masks: masks))
            sections.append(try sweepSection(masksThreshold: masksThreshold, summary: &summary))
            sections.append(
                scores.context.map { ReportSections.context($0, names: masks.classNames, dir: masks.contextDir ?? "") }
                    ?? missing(
                        "context", "Context confusion",
                        "No context masks: pass --context-dir (region masks as synth writes them in DATA_ROOT/context)."
                    ))
            let selection = GallerySelection(scores: scores.perImage, count: gallery, seed: seed)
            sections.append(try ReportGallery(masks: masks, scores: scores, selection: selection).section())
        } else {
            let noMasks = "pass --masks (the folder of infer --cam-png)"
            sections.append(missing("scores", "Per-class scores", "No masks: \(noMasks) to score them."))
            sections.append(try sweepSection(masksThreshold: nil, summary: &summary))
            sections.append(missing("context", "Context confusion", "No masks: \(noMasks) and their context."))
            sections.append(missing("gallery", "Gallery", "No masks: \(noMasks) to show them."))
        }
        sections.append(ReportSections.configuration(inputs))
        let name = URL(fileURLWithPath: inputs.run.path).lastPathComponent
        return ReportPage.html(
            title: "eps-dist report: \(name)", heading: "eps-dist report: \(HTML.escape(name))",
            summary: ReportSections.note(summary.joined(separator: " · ") + " · eps-dist \(EpsDistVersion.current)"),
            sections: sections)
    }

    func sweepSection(masksThreshold: Double?, summary: inout [String]) throws -> ReportSection {
        guard let sweep else {
            return missing(
                "sweep", "Threshold sweep", "No sweep: pass --sweep FILE (written by eps-dist sweep --json).")
        }
        let result = try SweepResult.read(sweep)
        if let best = result.bestThreshold {
            summary.append(
                "best threshold \(ChartAxis.label(best)) (mIoU \(HTML.percent(result.bestMIoU ?? .nan)))")
        }
        return ReportSections.sweep(result, path: sweep, masksThreshold: masksThreshold)
    }

    func missing(_ id: String, _ title: String, _ why: String) -> ReportSection {
        ReportSection(id: id, title: title, body: ReportSections.note(why))
    }
}
