import FlightdeckCore
import Foundation

extension PlanLoader {
    /// Loads the plan at `path`, resolving relative paths in it against its directory and
    /// checking that the files it names can be read.
    public static func load(path: String, environment: [String: String]) -> Result<LaunchPlan, PlanLoadError> {
        load(path: path, environment: environment, lintOnly: false).plan
    }

    /// - Parameter lintOnly: checking the plan, not running it: a missing secret is a warning.
    public static func load(path: String, environment: [String: String], lintOnly: Bool)
        -> (plan: Result<LaunchPlan, PlanLoadError>, warnings: [PlanDiagnostic]) {
        let start = SourceLocation(line: 1, column: 1)
        func failure(_ message: String, hint: String? = nil) -> (plan: Result<LaunchPlan, PlanLoadError>, warnings: [PlanDiagnostic]) {
            (.failure(PlanLoadError([PlanDiagnostic(file: path, location: start, path: "", message: message, hint: hint)])), [])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return failure("no such file")
        }
        guard !isDirectory.boolValue else { return failure("this is a directory, not a plan file") }
        guard let data = FileManager.default.contents(atPath: path) else { return failure("cannot read the file (permissions?)") }
        guard data.count <= maximumPlanBytes else {
            return failure("the file is \(data.count) bytes; a plan is at most \(maximumPlanBytes)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return failure("the file is not UTF-8 text", hint: "save the plan as UTF-8")
        }
        let files = PlanFiles(directory: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                              isReadable: { FileManager.default.isReadableFile(atPath: $0) })
        var loader = PlanLoader(environment: environment, files: files)
        loader.lintOnly = lintOnly
        return loader.loadWithWarnings(text: text, file: path)
    }
}
