import Foundation

/// Where outbox e-mails go.
public protocol MailTransport: Sendable {
    func send(to recipient: String, subject: String, body: String) async throws
}

/// Builds an RFC 5322 message (UTF-8, quoted-printable-free: 8bit body, encoded subject).
enum MailMessage {
    static func render(from: String, to: String, subject: String, body: String, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let encodedSubject = "=?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?="
        let domain = from.split(separator: "@").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "> ")) } ?? "localhost"
        return [
            "From: \(from)", "To: \(to)", "Subject: \(encodedSubject)", "Date: \(formatter.string(from: date))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "",
            body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"), "",
        ].joined(separator: "\r\n")
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

    public func send(to recipient: String, subject: String, body: String) async throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = folder.appendingPathComponent("\(Int(Date().timeIntervalSince1970 * 1000))-\(UUID().uuidString.prefix(8)).eml")
        let message = MailMessage.render(from: from, to: recipient, subject: subject, body: body)
        guard FileManager.default.createFile(atPath: file.path, contents: Data(message.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw LecternError(.mail, file: file.path, "cannot write the message")
        }
    }
}

/// SMTP through curl (Debian's curl speaks SMTP with STARTTLS and AUTH): a well-kept client instead of
/// a hand-written one. Credentials go to curl on standard input as a config file, never in argv
/// (which other users can read in `ps`).
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

    public func send(to recipient: String, subject: String, body: String) async throws {
        let message = MailMessage.render(from: from, to: recipient, subject: subject, body: body)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lectern-mail-\(UUID().uuidString).eml")
        guard FileManager.default.createFile(atPath: file.path, contents: Data(message.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw LecternError(.mail, file: file.path, "cannot write the message")
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let envelopeFrom = from.split(separator: "<").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "> ")) } ?? from
        var config = [
            "url = \"smtp://\(host):\(port)\"", "mail-from = \"\(envelopeFrom)\"", "mail-rcpt = \"\(recipient)\"",
            "upload-file = \"\(file.path)\"", "silent", "show-error", "connect-timeout = 10", "max-time = 60",
        ]
        if startTLS { config.append("ssl-reqd") }
        if let user, let password { config.append("user = \"\(user):\(password)\"") }
        try await Self.runCurl(config: config.joined(separator: "\n") + "\n")
    }

    private static func runCurl(config: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--config", "-"]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(config.utf8))
        try input.fileHandleForWriting.close()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        // Poll rather than `waitUntilExit`, which can hang when called on a Swift concurrency thread
        // on Linux (seen in the test harness); this runs on the daemon's outbox task.
        while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        guard process.terminationStatus == 0 else {
            let why = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw LecternError(.mail, "SMTP delivery failed (curl exit \(process.terminationStatus)): \(why)")
        }
    }
}
