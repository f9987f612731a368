import Foundation
import LecternCore

/// The text of a leaked file, as `lectern trace` reads it. The kind comes from the file's first bytes, not
/// its name: a PDF through poppler's `pdftotext -raw` (its default layout mode drops zero-width characters
/// drawn at one spot and reorders them; raw mode keeps each one, in order, on a line of its own), an EPUB
/// (a ZIP) through `unzip -p` of its XHTML chapters, anything else as text or HTML (numeric references to the
/// mark's characters decoded, as a page saved by a scraper may carry them).
public enum LeakDocument {
    public enum Kind: Equatable, Sendable { case pdf, epub, text }

    public static func kind(of data: Data) -> Kind {
        if data.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .epub }
        return .text
    }

    /// The text of `file` (already read as `data`; nil: standard input); throws with a hint when a reader
    /// program is missing.
    public static func text(of data: Data, file: URL?) throws -> String {
        let kind = kind(of: data)
        guard kind != .text else { return decodeMarkReferences(String(decoding: data, as: UTF8.self)) }
        guard let file else {
            throw LecternError(
                .trace, "a PDF or EPUB cannot be read from standard input", hint: "give the file's path instead")
        }
        // The path is absolute, so it can never be read as an option; no shell is involved.
        let path = file.standardizedFileURL.path
        if kind == .pdf {
            return try run(
                "/usr/bin/pdftotext", ["-raw", "-enc", "UTF-8", path, "-"], file: file, package: "poppler-utils")
        }
        let chapters = try run(
            "/usr/bin/unzip", ["-p", path, "*.xhtml", "*.html", "*.htm"], file: file, package: "unzip")
        return decodeMarkReferences(chapters)
    }

    /// `&#x2064;`, `&#8292;`, `&#x034f;` (any letter of either channel of the mark, in hex or decimal, with
    /// leading zeros or not) as the characters themselves; every other reference is left as it is. One pass
    /// over the scalars: past its leading zeros a reference has at most 8 digits; more are not one.
    static func decodeMarkReferences(_ text: String) -> String {
        // Bytes, not `contains("&#")`: that compares whole characters, and a prepended mark (U+0600…) before
        // the `&` would make it miss every reference.
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if scalars[index] == "&", let (scalar, length) = markReference(scalars, at: index) {
                result.append(scalar)
                index += length
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return String(result)
    }

    /// The mark's scalar written as a reference at `start` (`&#…;`), and the reference's length.
    private static func markReference(_ scalars: [Unicode.Scalar], at start: Int) -> (Unicode.Scalar, Int)? {
        var index = start + 1
        guard index < scalars.count, scalars[index] == "#" else { return nil }
        index += 1
        let hex = index < scalars.count && (scalars[index] == "x" || scalars[index] == "X")
        if hex { index += 1 }
        // Leading zeros (a browser takes any number) do not count; at most 64 are looked at.
        var zeros = 0
        while index < scalars.count, scalars[index] == "0", zeros < 64 {
            zeros += 1
            index += 1
        }
        var value: UInt32 = 0
        var digits = 0
        while index < scalars.count, digits < 8, scalars[index].isASCII,
            let digit = Character(scalars[index]).hexDigitValue,
            hex || digit < 10
        {
            value = value * (hex ? 16 : 10) + UInt32(digit)  // ≤ 8 digits: at most 0xFFFFFFFF, no overflow
            digits += 1
            index += 1
        }
        guard digits + zeros > 0, index < scalars.count, scalars[index] == ";", let scalar = Unicode.Scalar(value),
            InvisibleMarkCodec.isMarkScalar(scalar)
        else { return nil }
        return (scalar, index + 1 - start)
    }

    private static func run(_ program: String, _ arguments: [String], file: URL, package: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw LecternError(
                .trace, file: file.path, "\(program) is needed to read this file",
                hint: "install Debian's \(package) (apt-get install \(package))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 || (program.hasSuffix("unzip") && !data.isEmpty) else {
            throw LecternError(
                .trace, file: file.path, "\(program) could not read it (exit \(process.terminationStatus))",
                hint: "is the file whole? a PDF or EPUB cut short cannot be read")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
