import Foundation

/// Reads input files as UTF-8 text, naming the file and line of the first invalid byte otherwise.
package enum TextFile {
    package static func read(_ url: URL, displayPath: String, step: LecternError.Step = .content) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw LecternError(step, file: displayPath, "cannot read file (\(error.localizedDescription))")
        }
        return try decode(data, displayPath: displayPath, step: step)
    }

    static func decode(_ data: Data, displayPath: String, step: LecternError.Step = .content) throws -> String {
        if let text = String(validating: data, as: UTF8.self) {
            // A leading byte-order mark is legal UTF-8 but would hide the front-matter fence.
            return text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        }
        let bad = firstInvalidUTF8Offset(data)
        let line = data.prefix(bad).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        throw LecternError(
            step, file: displayPath, line: line,
            "file is not valid UTF-8 (byte offset \(bad))",
            hint: "save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8`")
    }

    private static func firstInvalidUTF8Offset(_ data: Data) -> Int {
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return i
            }
            if i + length > bytes.count { return i }
            for j in 1..<length where bytes[i + j] & 0xC0 != 0x80 { return i }
            i += length
        }
        return bytes.count
    }
}
