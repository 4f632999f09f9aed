/// One part of the report: an anchor, a heading and its HTML.
struct ReportSection {
    var id: String
    var title: String
    var body: String
}

/// The report's HTML document: one self-contained file (styles inline,
/// images as data: URIs, charts as inline SVG, no script), written as
/// well-formed XML so that tests can parse it. The content security policy
/// forbids any load but data: images, so the page provably works offline.
enum ReportPage {
    static let contentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

    /// `heading` and `summary` are HTML (the callers escape what came from files).
    static func html(title: String, heading: String, summary: String, sections: [ReportSection]) -> String {
        var out = """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>\(HTML.escape(title))</title>
            <style>\(style)</style>
            </head>
            <body>
            <h1>\(heading)</h1>
            \(summary)
            <nav>
            """
        out += sections.map { "<a href=\"#\($0.id)\">\(HTML.escape($0.title))</a>" }.joined(separator: " · ")
        out += "</nav>\n"
        for section in sections {
            out +=
                "<section id=\"\(section.id)\">\n<h2>\(HTML.escape(section.title))</h2>\n\(section.body)\n</section>\n"
        }
        return out + "</body>\n</html>\n"
    }

    static let style = """

        body { font-family: system-ui, sans-serif; margin: 16px auto; max-width: 1240px; padding: 0 12px; color: #222; }
        h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; border-bottom: 1px solid #ccc; }
        h3 { font-size: 15px; margin: 14px 0 6px; }
        nav { margin: 8px 0 16px; } nav a { color: #1f5fa8; }
        .note { color: #666; font-size: 13px; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; } .scroll { overflow-x: auto; }
        table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
        th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
        th:first-child, td:first-child, td.text { text-align: left; }
        pre { background: #f6f6f6; padding: 8px; font-size: 12px; overflow-x: auto; }
        .card { border: 1px solid #ddd; border-radius: 4px; margin: 8px 0; padding: 6px 8px; }
        .card h4 { margin: 0 0 4px; font-size: 14px; }
        .figures { display: flex; flex-wrap: wrap; gap: 6px; }
        figure { margin: 0; } figcaption { font-size: 12px; color: #444; text-align: center; max-width: 170px; }
        img { display: block; image-rendering: auto; }

        """
}
