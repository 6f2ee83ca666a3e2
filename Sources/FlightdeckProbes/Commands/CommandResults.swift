import FlightdeckCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The latest run of each command check, shared by every Flightdeck process on the plan
/// through the state directory: a suite runs once for the whole war room, not once per
/// session. `commands/ID.json` holds the result, `ID.lock` is held by whoever is running
/// it, and touching `ID.rerun` asks for a run now.
public struct CommandResults: Sendable {
    /// Nil: nothing is shared (a process with no state directory keeps its results to itself).
    public let directory: String?

    public init(stateDirectory: String?) {
        directory = stateDirectory.map { "\($0)/commands" }
    }

    /// The stored result: the run and when it started.
    public struct Stored: Sendable, Codable, Equatable {
        public var startedAt: Date
        public var run: CommandRun
    }

    func path(_ id: String, _ suffix: String) -> String? {
        directory.map { "\($0)/\(id).\(suffix)" }
    }

    /// The latest stored run, with its text made safe again: the file is shared, so it is
    /// read as anything from outside is.
    func latest(_ id: String) -> Stored? {
        guard let path = path(id, "json"), let data = FileManager.default.contents(atPath: path), data.count < 1 << 20,
              var stored = try? JSONDecoder().decode(Stored.self, from: data) else { return nil }
        stored.run.outputTail = stored.run.outputTail.suffix(CommandRun.tailLines).map { RemoteText.sanitize($0, limit: 200) }
        if case .read(var report)? = stored.run.report {
            report.failedNames = report.failedNames.prefix(TestReport.namesKept).map { RemoteText.sanitize($0, limit: 160) }
            stored.run.report = .read(report)
        }
        return stored
    }

    /// Writes a run where every process reads it, atomically: a reader sees the old result
    /// or the new one, never half of one.
    func store(_ stored: Stored, for id: String) {
        guard let directory, let path = path(id, "json") else { return }
        makeDirectory(directory)
        guard let data = try? JSONEncoder().encode(stored) else { return }
        let temporary = "\(path).\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }

    /// When a run was last asked for (`flightdeck rerun`, the cockpit's actions menu).
    /// The time is the file's text: its mtime comes from the kernel's coarse clock, a few
    /// milliseconds behind, and would make a rerun asked for just after a quick run look older than it.
    func rerunRequested(_ id: String) -> Date? {
        guard let path = path(id, "rerun"), let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let text = String(decoding: (try? handle.read(upToCount: 64)) ?? Data(), as: UTF8.self)
        if let seconds = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return Date(timeIntervalSince1970: seconds) }
        return (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// Asks whichever process runs commands to run this one now.
    public func requestRerun(_ id: String) throws {
        guard let directory, let path = path(id, "rerun") else { return }
        makeDirectory(directory)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o664)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        let text = Array("\(Date().timeIntervalSince1970)\n".utf8)
        let written = write(descriptor, text, text.count)
        close(descriptor)
        guard written == text.count else { throw CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: path]) }
    }

    /// The `commands` directory inside the state directory, group-writable as the state
    /// directory is; never the state directory itself, which the journal makes (and checks).
    private func makeDirectory(_ directory: String) {
        if mkdir(directory, 0o2775) == 0 { chmod(directory, 0o2775) }
    }

    /// Runs `body` holding the check's run lock, or returns nil at once when another process
    /// holds it. With no shared directory there is no one to share with: it always runs.
    func whileRunLocked<T>(_ id: String, _ body: () async -> T) async -> T? {
        guard let directory, let path = path(id, "lock") else { return await body() }
        makeDirectory(directory)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o664)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return nil }
        return await body()
    }
}
