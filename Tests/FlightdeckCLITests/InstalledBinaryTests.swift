import FlightdeckTestSupport
import Foundation
import Testing

/// The binary away from the package it was built in, as a user installs it.
@Suite("An installed binary")
struct InstalledBinaryTests {
    @Test("copied out of the build folder and run from elsewhere, it has its shipped themes and keymaps; the user's win")
    func copiedBinary() async throws {
        let directory = try TestDirectory("installed")
        let binary = directory.file("bin/flightdeck")
        try FileManager.default.createDirectory(atPath: directory.file("bin"), withIntermediateDirectories: true)
        // Copied by cp, not in this process: a file held open for writing here is inherited by any process a parallel
        // test spawns in that instant, and running the copy then fails with "Text file busy".
        let copied = try await runProcess("/bin/cp", [FlightdeckProcess.binary.path, binary])
        try #require(copied.status == 0, "\(copied.stderr)")
        let plan = FlightdeckProcess.packageRoot.appendingPathComponent("Examples/local.yaml").path
        let config = directory.file("config")
        func run(_ arguments: [String]) async throws -> ProcessResult {
            try await runProcess(binary, arguments, environment: ["PATH": "/usr/bin:/bin", "HOME": directory.path, "XDG_CONFIG_HOME": config],
                           in: directory.path)
        }
        for theme in ["default", "monochrome", "colourblind"] {
            let result = try await run([plan, "--theme", theme, "--keymap", "vim"])
            // Without a terminal the cockpit stops after loading its theme and keymap.
            #expect(result.stderr.hasPrefix("flightdeck: the cockpit needs a terminal"), "\(theme): \(result.stderr)")
        }
        let unknown = try await run([plan, "--theme", "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no theme named `nope`"))
        #expect(unknown.stderr.contains("there are: colourblind, default, high-contrast, light, monochrome"))

        try FileManager.default.createDirectory(atPath: "\(config)/flightdeck/Themes", withIntermediateDirectories: true)
        try "name: broken\nroles: {}\n".write(toFile: "\(config)/flightdeck/Themes/default.yaml", atomically: true, encoding: .utf8)
        let overridden = try await run([plan])
        #expect(overridden.status == 2, "the user's default theme wins over the shipped one, even broken")
        #expect(overridden.stderr.contains("\(config)/flightdeck/Themes/default.yaml"), "\(overridden.stderr)")
    }

    @Test("make install puts the binary, the man page and bash, zsh and fish completions under DESTDIR/PREFIX; make uninstall takes them away")
    func makeInstall() async throws {
        let root = FlightdeckProcess.packageRoot.path
        try #require(FileManager.default.isExecutableFile(atPath: "\(root)/.build/debug/generate-manual"),
                     "the manual's generator is built by `make test` (swift build --product generate-manual)")
        let directory = try TestDirectory("make-install")
        let stage = directory.file("stage")
        let make = ["-C", root, "DESTDIR=\(stage)", "PREFIX=/opt/flightdeck", "CONFIGURATION=debug"]
        let installed = try await runProcess("/usr/bin/make", make + ["install-files"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(installed.status == 0, "\(installed.stderr)")
        let prefix = "\(stage)/opt/flightdeck"
        let files = ["bin/flightdeck", "share/man/man1/flightdeck.1", "share/bash-completion/completions/flightdeck",
                     "share/zsh/site-functions/_flightdeck", "share/fish/vendor_completions.d/flightdeck.fish"]
        for file in files { #expect(FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), "\(file) is not installed") }
        let manual = try String(contentsOfFile: "\(prefix)/share/man/man1/flightdeck.1", encoding: .utf8)
        #expect(manual.contains(".Dt FLIGHTDECK 1") && manual.contains("go/no-go"))
        #expect(try await runProcess("/bin/bash", ["-n", "\(prefix)/share/bash-completion/completions/flightdeck"]).status == 0, "the bash completion parses")

        // The installed binary, run from another directory, knows its version and its themes.
        let version = try await runProcess("\(prefix)/bin/flightdeck", ["version"], environment: ["PATH": "/usr/bin:/bin", "HOME": directory.path],
                                     in: directory.path)
        #expect(version.status == 0 && version.stdout.hasPrefix("flightdeck "), "\(version.stdout)\(version.stderr)")
        let plan = "\(root)/Examples/local.yaml"
        let cockpit = try await runProcess("\(prefix)/bin/flightdeck", [plan, "--theme", "high-contrast"],
                                     environment: ["PATH": "/usr/bin:/bin", "HOME": directory.path], in: directory.path)
        #expect(cockpit.stderr.hasPrefix("flightdeck: the cockpit needs a terminal"), "\(cockpit.stderr)")

        let removed = try await runProcess("/usr/bin/make", make + ["uninstall-files"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(removed.status == 0, "\(removed.stderr)")
        for file in files { #expect(!FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), "\(file) is left behind") }
    }
}
