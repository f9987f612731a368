import ArgumentParser
import Foundation
import LecternBuild

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new site with lectern.toml, the default template and a sample course.")

    @Argument(help: "Folder for the new site.")
    var directory: String = "."

    @Option(name: .long, help: "Copy the starter from this folder instead of the built-in one.")
    var from: String?

    @Option(help: "Readers' language (BCP 47), e.g. zh-CN: the site's words come from its string table.")
    var language: String?

    func run() throws {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        try SiteScaffolder(root: root).initSite(
            from: from.map { URL(fileURLWithPath: $0) } ?? SiteScaffolder.defaultStarter(), language: language)
        print("Created a site in \(root.path). Next: cd \(directory) && lectern build")
    }
}

struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Add a course or a lesson.",
        subcommands: [NewCourse.self, NewLesson.self])

    struct NewCourse: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "course", abstract: "Add a course folder with its _index.md.")
        @OptionGroup var site: SiteOptions
        @Argument(help: "URL slug of the course, e.g. swift-basics.") var slug: String

        func run() throws {
            let file = try SiteScaffolder(root: site.rootURL).newCourse(slug)
            print("Created \(file.path)")
        }
    }

    struct NewLesson: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lesson", abstract: "Add a numbered lesson to a course.")
        @OptionGroup var site: SiteOptions
        @Argument(help: "The course slug.") var course: String
        @Argument(help: "URL slug of the lesson, e.g. first-steps.") var slug: String
        @Flag(help: "Make the lesson a free preview.") var free = false

        func run() throws {
            let file = try SiteScaffolder(root: site.rootURL).newLesson(course: course, slug: slug, free: free)
            print("Created \(file.path)")
        }
    }
}
