import GRDB
import Foundation
import FlightdeckCore

/// Where a plan's shared launch state lives: the plan's `state_dir`, relative to the plan
/// file, or by default a directory beside the plan named after it (`launch.yaml` keeps its
/// state in `launch.flightdeck/`), so every process on the host that opens the same plan
/// shares one state.
public struct StateDirectory: Sendable, Equatable {
    public let path: String
    /// The plan's witness file, resolved against the plan's directory.
    public let witness: String?

    public init(planPath: String, plan: LaunchPlan) {
        let planURL = URL(fileURLWithPath: planPath).standardizedFileURL
        let planDirectory = planURL.deletingLastPathComponent()
        witness = plan.witness.map { configured in
            configured.hasPrefix("/") ? URL(fileURLWithPath: configured).standardizedFileURL.path
                : planDirectory.appendingPathComponent(configured).standardizedFileURL.path
        }
        if let configured = plan.stateDirectory {
            path = configured.hasPrefix("/")
                ? URL(fileURLWithPath: configured).standardizedFileURL.path
                : planDirectory.appendingPathComponent(configured).standardizedFileURL.path
        } else {
            let name = planURL.deletingPathExtension().lastPathComponent
            path = planDirectory.appendingPathComponent("\(name).flightdeck").path
        }
    }
}

extension StateDirectory {
    /// Why a state directory is not used: said in words, with the fix.
    public struct UnsafeDirectory: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Makes the directory if there is none (shared by the team's logins: group-writable,
    /// setgid so files keep its group), and refuses, as ssh does for its own files, one that
    /// others could subvert: writable by every user, owned by someone who is neither you,
    /// root nor of its group, a journal file that is a symlink or writable by every user.
    static func prepare(_ directory: String) throws {
        var link = stat()
        if lstat(directory, &link) != 0 {
            guard errno == ENOENT else { throw UnsafeDirectory(message: "cannot look at the state directory \(directory): \(String(cString: strerror(errno)))") }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw UnsafeDirectory(message: "cannot make the state directory \(directory): \(explain(error, directory: directory))")
            }
            chmod(directory, 0o2775)
            return
        }
        var info = stat()
        if link.st_mode & S_IFMT == S_IFLNK, stat(directory, &info) != 0 {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: directory)) ?? "?"
            throw UnsafeDirectory(message: "the state directory \(directory) is a symlink to \(target), which does not exist: "
                                  + "create \(target), or point state_dir somewhere else")
        }
        if link.st_mode & S_IFMT != S_IFLNK { info = link }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw UnsafeDirectory(message: "the state directory \(directory) is not a directory")
        }
        try refuseIfSubvertible(directory, info, kind: "the state directory", groupOf: info.st_gid)
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = "\(directory)/\(LaunchJournal.fileName)\(suffix)"
            var fileInfo = stat()
            guard lstat(file, &fileInfo) == 0 else { continue }
            if fileInfo.st_mode & S_IFMT == S_IFLNK {
                throw UnsafeDirectory(message: "\(file) is a symlink: the journal is never opened through one (it could point anywhere); remove it")
            }
            guard fileInfo.st_mode & S_IFMT == S_IFREG else { throw UnsafeDirectory(message: "\(file) is not a regular file; remove it") }
            try refuseIfSubvertible(file, fileInfo, kind: "the journal file", groupOf: info.st_gid)
        }
    }

    private static func refuseIfSubvertible(_ path: String, _ info: stat, kind: String, groupOf directoryGroup: gid_t) throws {
        if info.st_mode & S_IWOTH != 0 {
            throw UnsafeDirectory(message: "\(kind) \(path) is writable by every user on this host (mode \(String(info.st_mode & 0o7777, radix: 8))), "
                                  + "so anyone could replace the journal: `chmod o-w \(path)` (for a team: `chgrp TEAM \(path)` and `chmod 2775`)")
        }
        let user = geteuid()
        guard info.st_uid != user, info.st_uid != 0 else { return }
        // A team's directory and the files in it belong to whoever made them, in the team's group.
        let shared = info.st_gid == directoryGroup && memberOf(info.st_gid)
        if !shared {
            throw UnsafeDirectory(message: "\(kind) \(path) belongs to \(userName(info.st_uid)), who is neither you nor root, "
                                  + "and you are not in its group: they could rewrite it. Use a state_dir of your own, "
                                  + "or a team directory (`chgrp TEAM`, `chmod 2775`) whose group you are in")
        }
    }

    private static func memberOf(_ group: gid_t) -> Bool {
        if getegid() == group { return true }
        let count = getgroups(0, nil)
        guard count > 0 else { return false }
        var groups = [gid_t](repeating: 0, count: Int(count))
        return getgroups(count, &groups) >= 0 && groups.contains(group)
    }

    private static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    static func diskIsFull(_ directory: String) -> Bool {
        var space = statvfs()
        return statvfs(directory, &space) == 0 && space.f_bavail == 0
    }

    /// An error from opening or writing the journal, in words: a full disk says so whatever
    /// SQLite called it.
    static func explain(_ error: any Error, directory: String) -> String {
        if diskIsFull(directory) {
            return "the disk holding \(directory) is full; free space there (or point state_dir at another disk) and try again"
        }
        if let error = error as? UnsafeDirectory { return error.message }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_FULL: return "the disk holding \(directory) is full; free space there and try again"
            case .SQLITE_READONLY: return "\(directory) is read-only for you"
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH: return "you may not open the journal in \(directory) (\(error.message ?? "permission denied"))"
            case .SQLITE_CORRUPT, .SQLITE_NOTADB: return "\(directory)/\(LaunchJournal.fileName) is not a journal Flightdeck can read: it is damaged or something else"
            default: return "SQLite: \(error.message ?? "\(error.resultCode)")"
            }
        }
        if let error = error as? CocoaError, let path = error.userInfo[NSFilePathErrorKey] as? String {
            return "\(path): \(error.underlying.map { "\($0.localizedDescription)" } ?? "\(error.code)")"
        }
        return "\(error)"
    }
}
