import ArgumentParser
import FlightdeckCore
import FlightdeckView
import Foundation

/// Themes and keymaps: the shipped ones are compiled in (ShippedFiles, from Themes/ and
/// Keymaps/), so the binary works wherever it is installed; the user's in
/// $XDG_CONFIG_HOME/flightdeck/ (default ~/.config/flightdeck) win over a shipped one of the
/// same name, or add to them.
enum CockpitFiles {
    /// The theme or keymap named; a missing or broken one is an error naming the file (exit 2).
    static func theme(named name: String) throws -> Theme {
        try orExit(load("Themes", name: name, shipped: ShippedFiles.themes, reader: { Theme.load(text: $0, file: $1) }))
    }

    static func keymap(named name: String) throws -> Keymap {
        try orExit(load("Keymaps", name: name, shipped: ShippedFiles.keymaps, reader: { Keymap.load(text: $0, file: $1) }))
    }

    private static func orExit<T>(_ result: Result<T, PlanLoadError>) throws -> T {
        switch result {
        case .success(let value): return value
        case .failure(let error):
            Console.error(error.description)
            throw ExitCode.usageOrPlanError
        }
    }

    static func load<T>(_ kind: String, name: String, shipped: [String: String],
                        reader: (String, String) -> Result<T, PlanLoadError>) -> Result<T, PlanLoadError> {
        let file = "\(name).yaml"
        let environment = ProcessInfo.processInfo.environment
        let config = environment["XDG_CONFIG_HOME"].map { "\($0)/flightdeck" } ?? environment["HOME"].map { "\($0)/.config/flightdeck" }
        if let path = config.map({ "\($0)/\(kind)/\(file)" }), FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                return .failure(PlanLoadError([PlanDiagnostic(file: path, location: SourceLocation(line: 1, column: 1), path: "", message: "cannot read the file")]))
            }
            return reader(text, path)
        }
        guard let text = shipped[name] else {
            let names = Set(shipped.keys).union(userFiles(kind, in: config)).sorted()
            return .failure(PlanLoadError([PlanDiagnostic(file: file, location: SourceLocation(line: 1, column: 1), path: "",
                                                          message: "no \(kind.lowercased().dropLast()) named `\(name)`",
                                                          hint: "there are: \(names.joined(separator: ", "))")]))
        }
        return reader(text, "\(kind)/\(file) (shipped)")
    }

    /// The names of the user's own files of a kind.
    private static func userFiles(_ kind: String, in config: String?) -> [String] {
        guard let config, let names = try? FileManager.default.contentsOfDirectory(atPath: "\(config)/\(kind)") else { return [] }
        return names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
    }
}
