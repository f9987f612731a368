import Foundation
import LecternCore

/// Where outbox e-mails go.
public protocol MailTransport: Sendable {
    /// The recipient is an `EmailAddress`: checked where it entered, so it cannot carry a header, a
    /// quote or an option into what a transport writes. `messageID` is the same for every attempt at one
    /// outbox message, so a receiving system can tell a re-send from a new message.
    func send(to recipient: EmailAddress, subject: String, body: String, messageID: String) async throws
}

/// Builds an RFC 5322 message (UTF-8, quoted-printable-free: 8bit body, encoded subject).
enum MailMessage {
    /// - Throws: when a header value holds CR, LF or another control character, which would end the
    ///   header and start one the sender did not write (header injection).
    static func render(
        from: String, to: EmailAddress, subject: String, body: String, messageID: String, date: Date = Date()
    ) throws
        -> String
    {
        for (name, value) in [("From", from), ("To", to.value)] where value.unicodeScalars.contains(where: isControl) {
            throw LecternError(
                .mail, "the \(name) header holds a control character",
                hint: "check `[mail] from` in lectern.toml")
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let encodedSubject = encodedWords(subject)
        return [
            "From: \(from)", "To: \(to)", "Subject: \(encodedSubject)", "Date: \(formatter.string(from: date))",
            "Message-ID: <\(messageID.filter { $0.isASCII && !$0.isWhitespace && $0 != "<" && $0 != ">" })>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "",
            body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"), "",
        ].joined(separator: "\r\n")
    }

    /// RFC 2047 encoded words of at most 75 characters (45 bytes of UTF-8 each, never splitting a
    /// character), folded onto continuation lines: one long word for a Chinese subject broke that limit.
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }

    /// A Message-ID for an outbox message: stable across its attempts, unique to this site's database.
    static func id(outbox id: Int64, created: String, from: String) -> String {
        let domain =
            from.split(separator: "@").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "> ")) }
            ?? "localhost"
        let stamp = created.filter(\.isNumber)
        let host = domain.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
        return "lectern.\(id).\(stamp)@\(host.isEmpty ? "localhost" : host)"
    }
}

/// Local use: each message becomes an `.eml` file in a folder (mode 0600: it holds a signed link).
/// Messages are not printed to the log, because tokens never go into logs.
public struct FileMailTransport: MailTransport {
    public let folder: URL
    public let from: String

    public init(folder: URL, from: String) {
        self.folder = folder
        self.from = from
    }

    public func send(to recipient: EmailAddress, subject: String, body: String, messageID: String) async throws {
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = folder.appendingPathComponent(
            "\(Int(Date().timeIntervalSince1970 * 1000))-\(UUID().uuidString.prefix(8)).eml")
        let message = try MailMessage.render(
            from: from, to: recipient, subject: subject, body: body, messageID: messageID)
        guard
            FileManager.default.createFile(
                atPath: file.path, contents: Data(message.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw LecternError(.mail, file: file.path, "cannot write the message")
        }
    }
}

/// SMTP through curl (Debian's curl speaks SMTP with STARTTLS and AUTH): a well-kept client instead of
/// a hand-written one. Credentials go to curl on standard input as a config file, never in argv
/// (which other users can read in `ps`). Every value in that config is written by `CurlConfig.quoted`,
/// which escapes quotes and backslashes and refuses line breaks: a value can never end its line and
/// start another option (a buyer's address once made curl mail out `keys/watermark.secret`).
public struct SMTPMailTransport: MailTransport {
    public let host: String
    public let port: Int
    public let startTLS: Bool
    public let from: String
    let user: String?
    let password: String?

    public init(host: String, port: Int, startTLS: Bool, from: String, user: String?, password: String?) {
        self.host = host
        self.port = port
        self.startTLS = startTLS
        self.from = from
        self.user = user
        self.password = password
    }

    /// Seconds curl may take for one message: RFC 5321 §4.5.3.2 gives a server up to 10 minutes for its
    /// final reply, so a slow server is waited for (giving up early made it receive the message twice).
    /// Stopping the daemon does not wait: the send is cancelled and the message stays queued.
    static let maxSeconds = 660

    public func send(to recipient: EmailAddress, subject: String, body: String, messageID: String) async throws {
        // The message goes to curl through a pipe, never a file: it holds a signed link.
        let message = try MailMessage.render(
            from: from, to: recipient, subject: subject, body: body, messageID: messageID)
        let envelopeFrom =
            from.split(separator: "<").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "> ")) } ?? from
        var config = [
            "url = \(try CurlConfig.quoted("smtp://\(host):\(port)"))",
            "mail-from = \(try CurlConfig.quoted(envelopeFrom))",
            "mail-rcpt = \(try CurlConfig.quoted(recipient.value))",
            "upload-file = \"-\"", "silent", "show-error", "connect-timeout = 30", "max-time = \(Self.maxSeconds)",
        ]
        if startTLS { config.append("ssl-reqd") }
        if let user, let password { config.append("user = \(try CurlConfig.quoted("\(user):\(password)"))") }
        try await Self.runCurl(config: config.joined(separator: "\n") + "\n", message: message)
    }

    /// The config (with the credentials) on descriptor 3, the message on standard input.
    private static func runCurl(config: String, message: String) async throws {
        let run = try await ChildProcess.run(
            "/usr/bin/curl", ["--config", "/dev/fd/3"], input: message, fd3: config)
        guard run.status == 0 else {
            let why = run.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw LecternError(.mail, "SMTP delivery failed (curl exit \(run.status)): \(why)")
        }
    }
}

/// Values for a curl config file (`curl --config -`).
package enum CurlConfig {
    /// A double-quoted config value: curl unescapes `\\`, `\"`, `\t`, `\n`, `\r` and `\v` inside quotes,
    /// so backslashes and quotes are escaped, and a control character (which could end the line and
    /// start another option) is refused rather than encoded.
    package static func quoted(_ value: String) throws -> String {
        guard !value.unicodeScalars.contains(where: MailMessage.isControl) else {
            throw LecternError(
                .mail, "a mail setting holds a control character",
                hint: "check `[mail]` in lectern.toml and LECTERN_SMTP_*")
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + escaped + "\""
    }
}
