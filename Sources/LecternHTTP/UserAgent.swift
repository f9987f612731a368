/// A browser's family and platform from its `User-Agent`, as the sharing signals keep it: "Chrome/Android",
/// "WeChat/iOS", "Safari/macOS". Coarse on purpose: enough to tell a buyer's phone from their laptop, or
/// ten strangers' browsers from one buyer's, and nothing that singles a person out.
public enum UserAgent {
    public static func family(_ header: String?) -> String {
        guard let header, !header.isEmpty else { return "other/other" }
        // Only the first 512 bytes are looked at: the header is the client's to make as long as it likes.
        let text = String(decoding: header.utf8.prefix(512), as: UTF8.self)
        return browser(text) + "/" + platform(text)
    }

    /// In-app browsers first (their User-Agent also names the engine they embed), then the browsers whose
    /// User-Agent also says "Chrome" or "Safari".
    private static let browsers: [(token: String, name: String)] = [
        ("MicroMessenger", "WeChat"), ("AlipayClient", "Alipay"), ("DingTalk", "DingTalk"), ("QQ/", "QQ"),
        ("MQQBrowser", "QQ Browser"), ("UCBrowser", "UC"), ("Quark", "Quark"), ("HuaweiBrowser", "Huawei"),
        ("MiuiBrowser", "Xiaomi"), ("SamsungBrowser", "Samsung"), ("Edg", "Edge"), ("OPR/", "Opera"),
        ("Firefox/", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"), ("Chrome/", "Chrome"),
        ("Safari/", "Safari"), ("curl/", "curl"),
    ]

    private static let platforms: [(token: String, name: String)] = [
        ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Android", "Android"), ("HarmonyOS", "HarmonyOS"),
        ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
    ]

    private static func browser(_ text: String) -> String {
        browsers.first { text.contains($0.token) }?.name ?? "other"
    }

    private static func platform(_ text: String) -> String {
        // HarmonyOS phones also say "Android": the more specific name wins.
        if text.contains("HarmonyOS") { return "HarmonyOS" }
        return platforms.first { text.contains($0.token) }?.name ?? "other"
    }
}
