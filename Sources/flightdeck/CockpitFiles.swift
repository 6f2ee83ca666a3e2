import ArgumentParser
import FlightdeckCore
import FlightdeckView
import Foundation

/// Themes and keymaps: the shipped ones beside the binary's package (Themes/, Keymaps/),
/// overridden or added to by the user's in $XDG_CONFIG_HOME/flightdeck/.
enum CockpitFiles {
    /// The theme or keymap named; a missing or broken one is an error naming the file (exit 2).
    static func theme(named name: String) throws -> Theme {
        try orExit(load("Themes", name: name, reader: { Theme.load(text: $0, file: $1) }))
    }

    static func keymap(named name: String) throws -> Keymap {
        try orExit(load("Keymaps", name: name, reader: { Keymap.load(text: $0, file: $1) }))
    }

    private static func orExit<T>(_ result: Result<T, PlanLoadError>) throws -> T {
        switch result {
        case .success(let value): return value
        case .failure(let error):
            Console.error(error.description)
            throw ExitCode.usageOrPlanError
        }
    }

    static func load<T>(_ kind: String, name: String, reader: (String, String) -> Result<T, PlanLoadError>) -> Result<T, PlanLoadError> {
        let file = "\(name).yaml"
        let environment = ProcessInfo.processInfo.environment
        let config = environment["XDG_CONFIG_HOME"].map { "\($0)/flightdeck" } ?? environment["HOME"].map { "\($0)/.config/flightdeck" }
        let candidates = [config.map { "\($0)/\(kind)/\(file)" }, shippedDirectory(kind).map { "\($0)/\(file)" }].compactMap { $0 }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            let shipped = shippedDirectory(kind).flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) }?
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
            return .failure(PlanLoadError([PlanDiagnostic(file: file, location: SourceLocation(line: 1, column: 1), path: "",
                                                          message: "no \(kind.lowercased().dropLast()) named `\(name)`",
                                                          hint: shipped.isEmpty ? nil : "shipped: \(shipped.joined(separator: ", "))")]))
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return .failure(PlanLoadError([PlanDiagnostic(file: path, location: SourceLocation(line: 1, column: 1), path: "", message: "cannot read the file")]))
        }
        return reader(text, path)
    }

    /// Themes/ or Keymaps/ of the package this binary was built from (or installed beside it).
    static func shippedDirectory(_ kind: String) -> String? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent(kind).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}
