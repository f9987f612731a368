import LecternCore

/// A plain YAML scalar as an integer: optional sign and decimal digits only, in `Int` range.
///
/// Not Yams's `Node.int`, which also reads YAML 1.1 base-60 (`1:30`) with unchecked multiplication:
/// `weight: 1:2:3:4:5:6:7:8:9:10:11` overflowed and ended the build or the preview server. Front
/// matter has no use for base 60, hex or octal; such a value stays text.
enum YAMLInteger {
    package static func parse(_ text: String) -> Int? {
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        guard digits.utf8.count <= 19, digits.isASCIIDigits else {
            return nil
        }
        return Int(text)
    }
}
