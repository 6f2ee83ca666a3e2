import FlightdeckTestSupport
import Foundation
import Testing

/// The binary away from the package it was built in, as a user installs it.
@Suite("An installed binary")
struct InstalledBinaryTests {
    @Test("copied out of the build folder and run from elsewhere, it has its shipped themes and keymaps; the user's win")
    func copiedBinary() throws {
        let directory = try TestDirectory("installed")
        let binary = directory.file("bin/flightdeck")
        try FileManager.default.createDirectory(atPath: directory.file("bin"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: FlightdeckProcess.binary.path, toPath: binary)
        let plan = FlightdeckProcess.packageRoot.appendingPathComponent("Examples/local.yaml").path
        let config = directory.file("config")
        func run(_ arguments: [String]) throws -> ProcessResult {
            try runProcess(binary, arguments, environment: ["PATH": "/usr/bin:/bin", "HOME": directory.path, "XDG_CONFIG_HOME": config],
                           in: directory.path)
        }
        for theme in ["default", "monochrome", "colourblind"] {
            let result = try run([plan, "--theme", theme, "--keymap", "vim"])
            // Without a terminal the cockpit stops after loading its theme and keymap.
            #expect(result.stderr.hasPrefix("flightdeck: the cockpit needs a terminal"), "\(theme): \(result.stderr)")
        }
        let unknown = try run([plan, "--theme", "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no theme named `nope`"))
        #expect(unknown.stderr.contains("there are: colourblind, default, high-contrast, light, monochrome"))

        try FileManager.default.createDirectory(atPath: "\(config)/flightdeck/Themes", withIntermediateDirectories: true)
        try "name: broken\nroles: {}\n".write(toFile: "\(config)/flightdeck/Themes/default.yaml", atomically: true, encoding: .utf8)
        let overridden = try run([plan])
        #expect(overridden.status == 2, "the user's default theme wins over the shipped one, even broken")
        #expect(overridden.stderr.contains("\(config)/flightdeck/Themes/default.yaml"), "\(overridden.stderr)")
    }
}
