import FlightdeckCore
import Foundation

extension LaunchActor {
    /// This process as the journal records it: the login behind it (the audit login uid,
    /// which `su` and `sudo` keep), the effective user, the SSH connection, tty, pid and host.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> LaunchActor {
        let effective = userName(geteuid()) ?? "uid \(geteuid())"
        var loginUID: UInt32?
        if let text = try? String(contentsOfFile: "/proc/self/loginuid", encoding: .utf8),
           let uid = UInt32(text.trimmingCharacters(in: .whitespacesAndNewlines)), uid != UInt32.max {
            loginUID = uid
        }
        let login = loginUID.flatMap(userName) ?? effective
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let tty = ttyname(STDIN_FILENO).map { String(cString: $0) }
        return LaunchActor(login: login, effectiveUser: effective, loginUID: loginUID,
                           sshConnection: environment["SSH_CONNECTION"].flatMap { $0.isEmpty ? nil : $0 },
                           tty: tty, pid: getpid(),
                           host: String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    private static func userName(_ uid: uid_t) -> String? {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// The plan's approver for this login and role, if the login belongs to one.
    public func approverByLogin(in plan: LaunchPlan, role: String? = nil) -> Approver? {
        plan.approvers.first { $0.users.contains(login) && (role == nil || $0.role == role) }
    }
}
