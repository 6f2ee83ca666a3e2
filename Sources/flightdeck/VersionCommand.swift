import ArgumentParser
import FlightdeckCore
import FlightdeckProbes
import FlightdeckTerminal

struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print Flightdeck's version and the libraries it runs on.")

    func run() async throws {
        Console.out("""
            flightdeck \(FlightdeckVersion.current)
            libcurl \(LinkedLibraries.curl)
            \(LinkedLibraries.openSSL)
            \(TerminalLibrary.version)
            """)
    }
}
