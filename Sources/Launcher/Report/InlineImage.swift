import Data
import Foundation

/// An image embedded in the page as a data: URI, so the report is one file
/// that needs no network and no folder beside it. PNG for exact colours
/// (masks, ground truth, saliency), JPEG for photographs and blends.
enum InlineImage {
    static func png(_ image: Image8, palette: [UInt8]? = nil) throws -> String {
        "data:image/png;base64," + (try ImageCodecs.encodePNG(image, palette: palette)).base64EncodedString()
    }

    static func jpeg(_ image: Image8) throws -> String {
        "data:image/jpeg;base64,"
            + (try ImageCodecs.encodeJPEG(image, quality: 88, path: "<report>"))
            .base64EncodedString()
    }

    /// An <img> element of `uri` showing `image`'s size, `alt` escaped.
    static func tag(_ uri: String, width: Int, height: Int, alt: String) -> String {
        "<img src=\"\(uri)\" width=\"\(width)\" height=\"\(height)\" alt=\"\(HTML.escape(alt))\"/>"
    }
}
