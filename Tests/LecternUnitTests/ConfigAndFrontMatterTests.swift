import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild
@testable import LecternConfig
@testable import LecternCore

@Suite struct ConfigAndFrontMatterTests {
    let root = URL(fileURLWithPath: "/tmp/site")

    @Test func configDefaultsAndOverrides() throws {
        let config = try SiteConfig.parse(
            "title = \"T\"\nbase_url = \"https://x.test/\"\ncurrency = \"eur\"\n[build]\npaid_dir = \"private\"\n[tokens]\nttl = \"7d\"\n",
            root: root)
        #expect(config.title == "T" && config.baseURL == "https://x.test" && config.currency == "EUR")
        #expect(config.paidDir == "private" && config.publicDir == "public" && !config.allowRawHTML)
        #expect(config.tokens.lifetime == 7 * 86_400)
    }

    @Test func unknownKeysAreNamedWithTheirLine() {
        let top = lecternError { _ = try SiteConfig.parse("title = \"T\"\ntitel = \"x\"\n", root: root) }
        #expect(
            top?.description
                == "lectern.toml:2: error: config: unknown key `titel`\n  hint: known keys here: alipay, author, base_url, build, currency, daemon, description, language, mail, products, subscriptions, title, tokens, wechatpay"
        )
        let nested = lecternError {
            _ = try SiteConfig.parse("[build]\npublic_dir = \"p\"\npaid = \"x\"\n", root: root)
        }
        #expect(nested?.line == 3 && nested?.message == "unknown key `build.paid`")
    }

    @Test func paidBundleInsidePublicIsRefused() {
        let error = lecternError {
            _ = try SiteConfig.parse("[build]\npublic_dir = \"out\"\npaid_dir = \"out/paid\"\n", root: root)
        }
        #expect(error?.message.contains("must not contain each other") == true)
    }

    @Test func badValuesPointAtTheirLine() {
        let url = lecternError { _ = try SiteConfig.parse("\nbase_url = \"ftp://x\"\n", root: root) }
        #expect(url?.line == 2)
        let toml = lecternError { _ = try SiteConfig.parse("title = \"T\"\nbroken = \n", root: root) }
        #expect(toml?.line == 2 && toml?.message.hasPrefix("invalid TOML") == true)
    }

    @Test func yamlAndTomlFrontMatter() throws {
        let yaml = try FrontMatter.parse(
            "---\ntitle: \"A: B\"\nfree: true\nweight: 3\nprice: 49.90\n---\nBody\n", file: "x.md")
        #expect(try yaml.settings.string("title") == "A: B")
        #expect(try yaml.settings.bool("free") == true && yaml.settings.integer("weight") == 3)
        #expect(try yaml.settings.string("price") == "49.90", "decimals stay text")
        #expect(yaml.body == "Body" && yaml.bodyFirstLine == 7)
        #expect(yaml.settings.line(of: "weight") == 4)

        let toml = try FrontMatter.parse("+++\ntitle = \"T\"\nfree = false\n+++\n\nText\n", file: "y.md")
        #expect(try toml.settings.string("title") == "T" && toml.settings.bool("free") == false)
        #expect(toml.bodyFirstLine == 5 && toml.settings.line(of: "free") == 3)
    }

    /// toml++ aborted the process on a `}` where an array wanted a value (found by fuzzing); it is now a
    /// typo like any other, with its line, and a `}` in a string, a comment or an inline table still parses.
    @Test func aBraceInsideAnArrayIsAnErrorWithItsLineNotACrash() throws {
        let continued = "note = \"\"\"a \\\nb\"\"\"\nunclosed = \"x\ntags = [}"
        for (text, line) in [("tags = [}", 3), ("tags = [1,\n  }", 4), ("a = [[1], [ }]]", 3), (continued, 6)] {
            let error = lecternError {
                _ = try FrontMatter.parse("+++\ntitle = \"T\"\n\(text)\n+++\nBody\n", file: "b.md")
            }
            #expect(
                error?.message.contains("`}` inside an array") == true && error?.line == line,
                "\(text): \(String(describing: error))")
        }
        let fine = try FrontMatter.parse(
            "+++\ntitle = \"a } b\"\ntags = [\"}\", '}', # not a } brace\n  \"\"\"x}\"\"\", { k = \"}\" }]\n+++\nBody\n",
            file: "c.md")
        #expect(try fine.settings.string("title") == "a } b")
    }

    @Test func quotedTrueIsTextNotABool() {
        let error = lecternError {
            let fm = try FrontMatter.parse("---\nfree: \"yes\"\n---\n", file: "z.md")
            _ = try fm.settings.bool("free")
        }
        #expect(error?.description.hasPrefix("z.md:2: error: front matter: `free` must be true or false") == true)
    }

    @Test func missingFrontMatterSaysHowToStart() {
        let error = lecternError { _ = try FrontMatter.parse("# Just markdown\n", file: "m.md") }
        #expect(error?.line == 1 && error?.hint?.contains("---") == true)
    }

    @Test func money() {
        #expect(Money(decimal: "49.00", currency: "usd") == Money(minorUnits: 4900, currency: "USD"))
        #expect(Money(decimal: "49.9", currency: "EUR")?.minorUnits == 4990)
        #expect(Money(decimal: "1200", currency: "JPY")?.minorUnits == 1200)
        #expect(Money(decimal: "12.5", currency: "JPY") == nil)
        #expect(Money(decimal: "49.999", currency: "USD") == nil)
        #expect(Money(decimal: "-1", currency: "USD") == nil)
        #expect(Money(decimal: "4.", currency: "USD") == nil)
        #expect(Money(decimal: "1e3", currency: "USD") == nil)
        #expect(Money(minorUnits: 4905, currency: "USD").display == "$49.05")
        #expect(Money(minorUnits: 1200, currency: "CHF").display == "12.00 CHF")
    }

    @Test func durations() {
        #expect(Duration.parseSeconds("30d") == 2_592_000)
        #expect(Duration.parseSeconds("12h") == 43_200)
        #expect(Duration.parseSeconds("90") == 90)
        #expect(Duration.parseSeconds("-3d") == nil && Duration.parseSeconds("soon") == nil)
    }
}

@Suite struct FrontMatterDateTests {
    @Test func daysParseAsUTCMidnightAndImpossibleDatesAreRefused() {
        #expect(ContentLoader.day("2026-10-01") == Date(timeIntervalSince1970: 1_790_812_800))
        #expect(ContentLoader.day("2024-02-29") != nil)
        #expect(ContentLoader.day("2026-02-31") == nil && ContentLoader.day("2026-13-01") == nil)
        #expect(ContentLoader.day("26-10-01") == nil && ContentLoader.day("yesterday") == nil)
    }
}
