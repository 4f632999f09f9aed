import Data
import Foundation

/// The gallery: the worst, best and some random images by their own mIoU,
/// each as image, ground truth, mask, overlay, the CAM heat map of each
/// labelled class (the classes the saved maps hold: infer writes the maps of
/// an image's labels) and the saliency map, at a bounded size.
struct ReportGallery {
    let masks: ReportInputs.Masks
    let scores: ReportScores
    let selection: GallerySelection
    /// Longest side of a gallery image (pixels).
    static let side = 160

    func section() throws -> ReportSection {
        var body = ReportSections.note(
            "Images ordered by their own mIoU (classes of their ground truth or mask, background included). "
                + "Ground truth and masks in the VOC colours; the overlay mixes the mask's colours into the image.")
        if masks.camDir == nil {
            body += ReportSections.note(
                "No CAM heat maps: pass --cams DIR (the folder of infer --cam-npy) to show each labelled class's map.")
        }
        if masks.saliencyDir == nil {
            body += ReportSections.note(
                "No saliency maps: the run's config.yaml has no saliency_root; pass --saliency-root to show them.")
        }
        let groups = [
            ("Worst \(selection.worst.count)", selection.worst), ("Best \(selection.best.count)", selection.best),
            ("Random \(selection.random.count)", selection.random),
        ]
        for (title, indices) in groups where !indices.isEmpty {
            body += "<h3>\(HTML.escape(title))</h3>\n"
            for index in indices { body += try card(index) }
        }
        return ReportSection(id: "gallery", title: "Gallery", body: body)
    }

    /// One image with its masks and maps.
    func card(_ index: Int) throws -> String {
        let id = masks.ids[index]
        let imagePath = "\(masks.imageDir)/\(id).jpg"
        let image = try ImageCodecs.readJPEG(imagePath)
        let gt = try MaskFiles.read("\(masks.gtDir)/\(id).png", size: (image.width, image.height))
        let mask = try MaskFiles.read("\(masks.dir)/\(id).png", size: (image.width, image.height))
        let present = Set(gt.pixels).filter { $0 != 0 && Int($0) < masks.classNames.count }.sorted()
        var figures = [
            try photo(image, "image"), try palette(gt, "ground truth"), try palette(mask, "mask"),
            try photo(MaskPainting.overlay(mask, on: image), "overlay"),
        ]
        if let camDir = masks.camDir {
            let cams = try SavedMaps.classMaps(
                "\(camDir)/\(id).npy", classes: masks.classNames.count - 1, height: image.height, width: image.width)
            for (c, map) in zip(cams.classIndices, cams.maps) {
                figures.append(try photo(HeatMap.overlay(map, on: image), "CAM: \(masks.classNames[c + 1])"))
            }
        }
        if let saliencyDir = masks.saliencyDir {
            let saliency = Thumbnail.smooth(try ImageCodecs.readPNG("\(saliencyDir)/\(id).png"), side: Self.side)
            figures.append(figure(try InlineImage.png(saliency), saliency, "saliency"))
        }
        let classes = present.map { masks.classNames[Int($0)] }.joined(separator: ", ")
        return
            "<div class=\"card\" data-id=\"\(HTML.escape(id))\"><h4>\(HTML.escape(id)) — mIoU \(HTML.percent(scores.perImage[index]))"
            + " — ground truth: \(HTML.escape(classes.isEmpty ? "background only" : classes))</h4>\n"
            + "<div class=\"figures\">\(figures.joined(separator: "\n"))</div></div>\n"
    }

    /// A photograph or blend at gallery size, as JPEG.
    func photo(_ image: Image8, _ caption: String) throws -> String {
        let small = Thumbnail.smooth(image, side: Self.side)
        return figure(try InlineImage.jpeg(small), small, caption)
    }

    /// An index mask at gallery size, as a palette PNG (exact colours, small).
    func palette(_ mask: Image8, _ caption: String) throws -> String {
        let small = Thumbnail.nearest(mask, side: Self.side)
        return figure(try InlineImage.png(small, palette: ImageCodecs.vocPalette), small, caption)
    }

    func figure(_ uri: String, _ shown: Image8, _ caption: String) -> String {
        "<figure>\(InlineImage.tag(uri, width: shown.width, height: shown.height, alt: caption))"
            + "<figcaption>\(HTML.escape(caption))</figcaption></figure>"
    }
}
