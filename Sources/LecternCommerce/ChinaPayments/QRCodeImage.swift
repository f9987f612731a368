import CQREncode
import Foundation

/// A QR code drawn by lecternd (libqrencode), as an SVG `data:` URL an `<img>` can show: the WeChat Pay
/// link it holds is a payment credential for a few hours, so no outside image service ever sees it.
enum QRCodeImage {
    /// Modules of quiet zone around the symbol, as the QR standard asks.
    static let quietZone = 4

    /// nil when the text cannot be encoded (too long for any QR version).
    static func svgDataURL(for text: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let size = width + 2 * quietZone
        var path = ""
        for y in 0..<width {
            for x in 0..<width where code.pointee.data[y * width + x] & 1 == 1 {
                path += "M\(x + quietZone) \(y + quietZone)h1v1h-1z"
            }
        }
        let svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(size) \(size)\" shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(size)\" height=\"\(size)\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
        return "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString()
    }
}
