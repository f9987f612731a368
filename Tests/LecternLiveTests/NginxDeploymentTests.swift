import Foundation
import LecternTestSupport
import Testing

/// The documented reverse-proxy deployment, for real: Debian's nginx with docs/deploy/nginx.conf
/// (paths and ports filled in) serves public/ itself and proxies the paid side to lecternd.
@Suite(.serialized) struct NginxDeploymentTests {
    @Test func signedLinkFlowThroughNginx() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else {
            Issue.record("nginx is not installed: run scripts/test (it installs Debian's nginx)")
            return
        }
        let daemon = try await DaemonHarness(extraConfig: "trust_proxy = true")
        defer { _ = daemon.stop() }
        let folder = daemon.site.root.appendingPathComponent("nginx")
        for sub in ["", "tmp"] {
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let port = DaemonHarness.freePort()  // below the ephemeral range, free now
        var server = try String(contentsOf: repoRoot.appendingPathComponent("docs/deploy/nginx.conf"), encoding: .utf8)
        server = server.replacingOccurrences(
            of: "/srv/lectern/public", with: daemon.site.root.appendingPathComponent("public").path
        )
        .replacingOccurrences(of: "/srv/lectern/", with: folder.path + "/")
        .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(daemon.port)")
        .replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(port);")
        try server.write(to: folder.appendingPathComponent("lectern.conf"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            at: repoRoot.appendingPathComponent("docs/deploy/lectern-proxy.conf"),
            to: folder.appendingPathComponent("lectern-proxy.conf"))
        let temp = folder.appendingPathComponent("tmp").path
        let main = """
            \(getuid() == 0 ? "user root;" : "")
            worker_processes 1;
            pid \(folder.path)/nginx.pid;
            error_log \(folder.path)/error.log;
            events { worker_connections 256; }
            http {
              include /etc/nginx/mime.types;
              access_log \(folder.path)/access.log;
              client_body_temp_path \(temp); proxy_temp_path \(temp); fastcgi_temp_path \(temp); uwsgi_temp_path \(temp); scgi_temp_path \(temp);
              include \(folder.path)/lectern.conf;
            }
            """
        try main.write(to: folder.appendingPathComponent("main.conf"), atomically: true, encoding: .utf8)
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        nginx.arguments = [
            "-p", folder.path, "-c", folder.appendingPathComponent("main.conf").path, "-g", "daemon off;",
        ]
        nginx.standardOutput = FileHandle.nullDevice
        nginx.standardError = FileHandle.nullDevice
        try nginx.run()
        defer {
            nginx.terminate()
            let deadline = Date().addingTimeInterval(5)
            while nginx.isRunning && Date() < deadline { usleep(20_000) }
        }
        // Wait until nginx listens (curl exits 7 while nothing does).
        for _ in 0..<100 {
            if try runProgram("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/"]).status == 0 {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let home = try daemon.curl("/", port: port)
        let errors = (try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        try #require(home.status == 200, "nginx did not serve: \(errors)")
        // The public site comes from nginx itself, byte for byte.
        let index = try daemon.site.read("public/index.html")
        #expect(home.header("Server").first?.hasPrefix("nginx") == true && home.body == index)

        // Purchase → e-mail → signed link opened through nginx.
        let payment = DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1")
        let signature = try daemon.peer(
            ["stripe", DaemonHarness.stripeSecret, String(Int(Date().timeIntervalSince1970))], payload: payment)
        let webhook = try daemon.curl(
            "/webhooks/stripe",
            arguments: [
                "-H", "Stripe-Signature: \(signature)", "-H", "Content-Type: application/json",
                "--data-binary", String(decoding: payment, as: UTF8.self),
            ], port: port)
        #expect(webhook.status == 200 && webhook.body.contains("granted"), "\(webhook.body)")
        let mail = try #require(try await daemon.receivedMail(count: 1).first)
        let link = try daemon.link(in: mail).replacingOccurrences(of: ":\(daemon.port)/", with: ":\(port)/")
        let jar = folder.appendingPathComponent("cookies.txt")
        let lesson = try daemon.curl(link, jar: jar, follow: true)
        #expect(
            lesson.status == 200 && lesson.url.hasSuffix("/learn/practical-sqlite/schema-design/")
                && !lesson.url.contains("token"))
        #expect(
            lesson.body.contains("Licensed to ada@example.com")
                && lesson.header("Cache-Control") == ["private, no-store"])
        // Tokens never reach nginx's log (the /learn/ locations do not log).
        let accessLog = (try? String(contentsOf: folder.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
        #expect(!accessLog.contains("token="))

        // Refund through nginx; the same cookie is refused.
        let refund = DaemonHarness.stripeRefund(event: "evt_2", paymentIntent: "pi_1")
        let refundSignature = try daemon.peer(
            ["stripe", DaemonHarness.stripeSecret, String(Int(Date().timeIntervalSince1970))], payload: refund)
        _ = try daemon.curl(
            "/webhooks/stripe",
            arguments: [
                "-H", "Stripe-Signature: \(refundSignature)", "--data-binary",
                String(decoding: refund, as: UTF8.self),
            ], port: port)
        #expect(try daemon.curl("/learn/practical-sqlite/schema-design/", jar: jar, port: port).status == 403)

        // lecternd's own checkouts and the library's data pass through too (nginx alone would answer 404):
        // this site sells through no Chinese provider (503 from lecternd), and the browser is still signed in.
        let pay = try daemon.curl(
            "/pay/alipay", arguments: ["--data", "course=practical-sqlite&email=a%40example.com"], port: port)
        #expect(pay.status == 503 && pay.body.contains("not-configured"))
        #expect(try daemon.curl("/access/library.json", jar: jar, port: port).status == 200)
        #expect(try daemon.curl("/library/", port: port).status == 200)
    }

    /// docs/deploy/lecternd.service, as `systemd-analyze verify` reads it (with ExecStart pointing at this
    /// build's lecternd): no error and no warning, which verify prints without failing.
    @Test func theSystemdUnitVerifiesCleanly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record("systemd-analyze is not installed: run scripts/test (it installs Debian's systemd)")
            return
        }
        let lecternd = try #require(CommandLineTests.binary).deletingLastPathComponent().appendingPathComponent(
            "lecternd")
        let site = try TempSite()
        let unit = try String(
            contentsOf: repoRoot.appendingPathComponent("docs/deploy/lecternd.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/lecternd ") && unit.contains("EnvironmentFile="))
        try site.write(
            "lecternd.service", unit.replacingOccurrences(of: "/usr/local/bin/lecternd", with: lecternd.path))
        let run = try runProgram(
            "/usr/bin/systemd-analyze", ["verify", site.root.appendingPathComponent("lecternd.service").path])
        #expect(run.status == 0 && run.stderr.isEmpty && run.stdout.isEmpty, "\(run.stdout)\(run.stderr)")
    }
}
