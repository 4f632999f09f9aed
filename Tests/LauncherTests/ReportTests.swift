import Data
import Foundation
import Launcher
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `eps-dist report`: the parts (escaping, charts, gallery choice, metrics
/// reader) and the whole command on a real run (sections, well-formed page,
/// every image decodable, scores equal to infer's, errors for missing inputs).
/// The browser test is scripts/report-browser-test.sh.
final class ReportTests: XCTestCase {
    func testEscapeCoversMarkupQuotesAndControlCharacters() {
        XCTAssertEqual(
            HTML.escape("<a href=\"x\">'Tom' & Jerry</a>\u{1}\té"),
            "&lt;a href=&quot;x&quot;&gt;&#39;Tom&#39; &amp; Jerry&lt;/a&gt;\u{FFFD}\té")
        XCTAssertEqual(HTML.escape("plain text"), "plain text")
    }

    func testLineChartIsWellFormedBreaksAtMissingValuesAndPlacesPoints() throws {
        let chart = SVGLineChart(
            title: "losses <&>", xLabel: "step", yLabel: "loss",
            series: [
                .init(name: "a<b>", x: [0, 2, 4, 6, 8, 10], y: [0.1, 0.2, .nan, 0.3, 0.25, 0.3]),
                .init(name: "empty", x: [1, 2], y: [.nan, .nan]),
            ], markers: [.init(x: 5, label: "best 5")])
        let svg = try XMLSummary(chart.svg)
        XCTAssertEqual(svg.count("svg"), 1)
        XCTAssertEqual(svg.count("polyline"), 2, "the NaN splits the first series in two lines")
        XCTAssertEqual(svg.count("circle"), 5, "a dot per finite point")
        XCTAssertTrue(svg.texts.contains("losses <&>") && svg.texts.contains("a<b>"), "names escaped, read back")
        XCTAssertTrue(svg.texts.contains("0.3"), "round tick labels: \(svg.texts)")
        XCTAssertFalse(svg.texts.contains { $0.contains("0000000") }, "no float noise in labels: \(svg.texts)")
        // x 0…10 and y 0.1…0.3 round out to axes 0…10 and 0.1…0.3: the first point is the plot's bottom-left corner.
        let first = svg.attributes("polyline")[0]["points"]!.split(separator: " ")[0]
        let p = (left: 70.0, top: 50.0, height: Double(chart.height) - 50 - 46)
        XCTAssertEqual(String(first), String(format: "%.1f,%.1f", p.left, p.top + p.height))
        XCTAssertTrue(svg.texts.contains("best 5"))
    }

    func testLineChartWithoutDataSaysSo() throws {
        let svg = try XMLSummary(
            SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", x: [], y: [])]).svg)
        XCTAssertTrue(svg.texts.contains("no data"))
        XCTAssertEqual(svg.count("polyline"), 0)
    }

    func testBarChartDrawsOneBarPerFiniteValueToScale() throws {
        let chart = SVGBarChart(
            title: "per class", yLabel: "%", categories: ["background", "cat & dog"],
            groups: [.init(name: "IoU", values: [50, .nan]), .init(name: "recall", values: [100, 25])],
            yIncludes: [0, 100])
        let svg = try XMLSummary(chart.svg)
        let bars = svg.attributes("rect").filter { $0["height"] != nil && $0["fill"] != "#fff" && $0["fill"] != "none" }
            .filter { Double($0["width"]!) == 8 }
        XCTAssertEqual(bars.count, 3, "NaN draws no bar")
        let plotHeight = Double(chart.height) - 50 - 90
        let heights = bars.map { Double($0["height"]!)! }.sorted()
        XCTAssertEqual(heights[0], plotHeight / 4, accuracy: 0.1)
        XCTAssertEqual(heights[1], plotHeight / 2, accuracy: 0.1)
        XCTAssertEqual(heights[2], plotHeight, accuracy: 0.1)
        XCTAssertTrue(svg.texts.contains("cat & dog"))
    }

    func testGallerySelectionWorstBestAndSeededRandom() {
        let scores: [Double] = [0.5, .nan, 0.1, 0.9, 0.3, 0.7, 0.2, 0.9, 0.4, 0.6, 0.8, 0.05]
        let g = GallerySelection(scores: scores, count: 2, seed: 0)
        XCTAssertEqual(g.worst, [11, 2])
        XCTAssertEqual(g.best, [3, 7], "ties go to the earlier image")
        XCTAssertEqual(g.random.count, 2)
        XCTAssertTrue(Set(g.random).isDisjoint(with: g.worst + g.best))
        XCTAssertEqual(GallerySelection(scores: scores, count: 2, seed: 0), g, "the same every time")
        let draws = Set((0..<8).map { GallerySelection(scores: scores, count: 2, seed: UInt64($0)).random })
        XCTAssertGreaterThan(draws.count, 1, "the seed changes the random group")
        // Fewer images than places: each shown once, unscored ones only at random.
        let few = GallerySelection(scores: [0.3, .nan, 0.1], count: 6, seed: 0)
        XCTAssertEqual(few.worst, [2, 0])
        XCTAssertEqual(few.best, [])
        XCTAssertEqual(few.random, [1])
    }

    func testMetricsReaderToleratesOldNewAndBrokenLines() {
        let text = """
            {"step":5,"loss":0.9,"loss_cls":0.6,"loss_sal":0.3,"lr":0.1,"images_per_s":10,"time":{"data":0.1}}
            {"step":1,"loss":1.0,"lr":0.1}
            {"step":10,"loss":0.5,"loss_cls":0.3,"loss_sal":0.2,"lr":0.05,"images_per_s":null,"elapsed_s":42.5,
            not json
            {"step":10,"loss":0.4,"lr":0.05,"elapsed_s":40,"timestamp":"2026-01-01T00:00:40Z"}
            {"loss":0.1}
            """
        let m = TrainingMetrics(text: text)
        XCTAssertEqual(m.steps, [1, 5, 10])
        XCTAssertEqual(m.skippedLines, 3, "the cut-off line, the garbage and the line without a step")
        XCTAssertEqual(m.values("loss"), [1.0, 0.9, 0.4], "a step logged twice keeps its last line")
        XCTAssertTrue(m.values("loss_cls")[0].isNaN && m.values("loss_cls")[1] == 0.6 && m.values("loss_cls")[2].isNaN)
        XCTAssertEqual(m.values("time.data")[1], 0.1)
        XCTAssertEqual(m.last("elapsed_s"), 40)
        XCTAssertEqual(m.lastTimestamp, "2026-01-01T00:00:40Z")
        XCTAssertNil(m.firstTimestamp, "older lines have none")
        XCTAssertTrue(m.values("absent").allSatisfy(\.isNaN))
    }

    // MARK: - The command on a real run

    func testReportOfARunWithMasksSweepAndContext() throws {
        let dir = ProcessHarness.temporaryDirectory("report")
        let gt = "\(SyntheticFixture.root)/SegmentationClassAug"
        var r = try ProcessHarness.epsDist(SyntheticFixture.trainArguments(out: "\(dir)/run", iterations: 4))
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try ProcessHarness.epsDist([
            "infer", "--weights", "\(dir)/run/checkpoint.safetensors", "--data-root", SyntheticFixture.root,
            "--infer-list", SyntheticFixture.trainList, "--cam-png", "\(dir)/masks", "--scales", "1.0",
            "--cam-npy", "\(dir)/maps", "--gt-dir", gt, "--context-dir", "\(SyntheticFixture.root)/context",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try ProcessHarness.epsDist([
            "sweep", "--cam-dir", "\(dir)/maps", "--gt-dir", gt, "--datalist", SyntheticFixture.trainList,
            "--json", "\(dir)/sweep.json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Text from files must come out escaped: a comment in config.yaml with markup.
        let config = "\(dir)/run/config.yaml"
        try (try String(contentsOfFile: config, encoding: .utf8) + "# <script>alert('x')</script> & co\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let report = [
            "report", "--run", "\(dir)/run", "--masks", "\(dir)/masks", "--sweep", "\(dir)/sweep.json", "--gallery",
            "2", "--cams", "\(dir)/maps", "--out", "\(dir)/report.html",
        ]
        r = try ProcessHarness.epsDist(report)
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try String(contentsOfFile: "\(dir)/report.html", encoding: .utf8)
        let page = try XMLSummary(html)  // the whole page is well-formed XML
        for id in ["training", "scores", "sweep", "context", "gallery", "configuration"] {
            XCTAssertTrue(page.attributes("section").contains { $0["id"] == id }, "section \(id)")
        }
        XCTAssertEqual(page.count("script"), 0, "the report runs no script")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"))
        XCTAssertGreaterThanOrEqual(page.count("svg"), 6, "4 training charts, the bars, the sweep")
        // 6 cards of image, ground truth, mask, overlay, a CAM per labelled class, saliency.
        let cards = try galleryCards(page)
        XCTAssertEqual(cards.count, 6)
        for (id, alts) in cards {
            let labels = try LabelSources.vocObjectNames(xml: "\(SyntheticFixture.root)/Annotations/\(id).xml")
            XCTAssertEqual(
                alts,
                ["image", "ground truth", "mask", "overlay"] + Set(labels).sorted().map { "CAM: \($0)" } + ["saliency"],
                id)
        }
        // Every image is inline and decodes at the size its element gives.
        let images = page.attributes("img")
        XCTAssertEqual(images.count, cards.map(\.alts.count).reduce(0, +))
        for image in images {
            let src = image["src"]!
            let png = src.hasPrefix("data:image/png;base64,")
            XCTAssertTrue(png || src.hasPrefix("data:image/jpeg;base64,"), String(src.prefix(40)))
            let bytes = Data(base64Encoded: String(src[src.index(after: src.firstIndex(of: ",")!)...]))!
            let decoded =
                try png ? ImageCodecs.decodePNG(bytes, path: "img") : ImageCodecs.decodeJPEG(bytes, path: "img")
            XCTAssertEqual("\(decoded.width)x\(decoded.height)", "\(image["width"]!)x\(image["height"]!)")
        }
        XCTAssertFalse(html.contains("src=\"http") || html.contains("href=\"http"), "nothing from the network")
        // The scores are infer's own: mIoU and a context ratio as in report.json.
        let inferReport =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/masks/report.json")))
            as! [String: Any]
        XCTAssertTrue(
            html.contains(String(format: "mIoU %.2f,", inferReport["miou"] as! Double * 100)), "mIoU as infer's")
        let sweep =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/sweep.json")))
            as! [String: Any]
        XCTAssertTrue(page.texts.contains("best \(sweep["best_thr"] as! Double)"), "the sweep's best threshold marked")

        // Without --cams the gallery says why it has no heat maps.
        r = try ProcessHarness.epsDist(Array(report.filter { $0 != "--cams" && $0 != "\(dir)/maps" }))
        XCTAssertEqual(r.status, 0, r.stderr)
        let noCAMs = try XMLSummary(String(contentsOfFile: "\(dir)/report.html", encoding: .utf8))
        XCTAssertTrue(try galleryCards(noCAMs).allSatisfy { !$0.alts.contains { $0.hasPrefix("CAM") } })
        XCTAssertTrue(noCAMs.texts.contains { $0.contains("No CAM heat maps: pass --cams") })

        // Without masks: training and configuration, the rest names the flag.
        r = try ProcessHarness.epsDist(["report", "--run", "\(dir)/run", "--out", "\(dir)/bare.html"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let bare = try String(contentsOfFile: "\(dir)/bare.html", encoding: .utf8)
        _ = try XMLSummary(bare)
        XCTAssertTrue(bare.contains("pass --masks") && bare.contains("pass --sweep"))

        try checkErrors(dir: dir, report: report)
    }

    /// The gallery's cards in order: the image id and the alt texts of its images.
    func galleryCards(_ page: XMLSummary) throws -> [(id: String, alts: [String])] {
        var cards: [(id: String, alts: [String])] = []
        for element in page.elements {
            if element.name == "div", let id = element.attributes["data-id"] {
                cards.append((id, []))
            } else if element.name == "img", !cards.isEmpty {
                cards[cards.count - 1].alts.append(element.attributes["alt"] ?? "")
            }
        }
        return cards
    }

    /// Missing or bad inputs: status 2 naming the file and the flag; an unwritable output: 1.
    func checkErrors(dir: String, report: [String]) throws {
        func expect(_ arguments: [String], status: Int32, _ words: [String], line: UInt = #line) throws {
            let r = try ProcessHarness.epsDist(arguments)
            XCTAssertEqual(r.status, status, r.stderr, line: line)
            for word in words { XCTAssertTrue(r.stderr.contains(word), "\(word) in: \(r.stderr)", line: line) }
        }
        func with(_ flag: String, _ value: String) -> [String] {
            var a = report
            if let i = a.firstIndex(of: flag) { a[i + 1] = value } else { a += [flag, value] }
            return a
        }
        try expect(with("--run", "\(dir)/nowhere"), status: 2, ["\(dir)/nowhere", "--run"])
        try FileManager.default.createDirectory(atPath: "\(dir)/empty-run", withIntermediateDirectories: true)
        try expect(with("--run", "\(dir)/empty-run"), status: 2, ["config.yaml", "--run"])
        try FileManager.default.copyItem(atPath: "\(dir)/run/config.yaml", toPath: "\(dir)/empty-run/config.yaml")
        try expect(with("--run", "\(dir)/empty-run"), status: 2, ["metrics.jsonl"])
        try expect(with("--masks", "\(dir)/maps-nowhere"), status: 2, ["maps-nowhere", "--masks"])
        try expect(with("--data-root", "\(dir)/run"), status: 2, ["JPEGImages", "--img-dir"])
        try expect(with("--gt-dir", "\(dir)/no-gt"), status: 2, ["no-gt", "--gt-dir"])
        try "{\"thresholds\": 3}".write(toFile: "\(dir)/bad-sweep.json", atomically: true, encoding: .utf8)
        try expect(with("--sweep", "\(dir)/bad-sweep.json"), status: 2, ["bad-sweep.json", "--sweep"])
        try expect(with("--gallery", "-1"), status: 2, ["--gallery"])
        try expect(with("--cams", "\(dir)/no-maps"), status: 2, ["no-maps", "--cams"])
        try expect(
            ["report", "--run", "\(dir)/run", "--gt-dir", "x", "--out", "\(dir)/r.html"], status: 2,
            ["--gt-dir", "--masks"])
        // A mask that is gone: named, nothing written.
        let ids = try Dataset.readList(SyntheticFixture.trainList)
        try FileManager.default.moveItem(atPath: "\(dir)/masks/\(ids[3]).png", toPath: "\(dir)/moved.png")
        try expect(with("--out", "\(dir)/partial.html"), status: 2, ["\(ids[3]).png"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/partial.html"))
        try FileManager.default.moveItem(atPath: "\(dir)/moved.png", toPath: "\(dir)/masks/\(ids[3]).png")
        try expect(with("--out", "\(dir)/no-folder/report.html"), status: 1, ["no-folder/report.html"])
    }
}

/// A parsed XML document (fails on anything not well-formed): the elements
/// by name with their attributes, and every text.
struct XMLSummary {
    private(set) var elements: [(name: String, attributes: [String: String])] = []
    private(set) var texts: [String] = []

    init(_ text: String) throws {
        let collector = Collector()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        guard parser.parse() else {
            throw NSError(
                domain: "XML", code: 1,
                userInfo: [
                    NSLocalizedDescriptionKey:
                        "not well-formed at line \(parser.lineNumber): \(String(describing: parser.parserError))"
                ])
        }
        elements = collector.elements
        texts = collector.texts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    func count(_ name: String) -> Int { elements.filter { $0.name == name }.count }
    func attributes(_ name: String) -> [[String: String]] { elements.filter { $0.name == name }.map(\.attributes) }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var texts: [String] = []
        private var current = ""

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String]
        ) {
            elements.append((name, attributes))
            texts.append(current)
            current = ""
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            texts.append(current)
            current = ""
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
    }
}
