import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL on a loopback port, in a fresh cluster (`initdb`) in a temporary
/// directory, with password (SCRAM) authentication. PostgreSQL refuses to run as root, so
/// it runs as the `postgres` user Debian's package makes; tests that need it are skipped,
/// saying why, where that cannot be done (`PostgresServer.unavailable`).
public final class PostgresServer: @unchecked Sendable {
    public static let user = "flightdeck"
    /// The superuser's password: tests hand it over as an environment variable, as a plan does.
    public let password = "pw-\(UUID().uuidString.prefix(12))"
    public let port: UInt16
    public let directory: TestDirectory
    private let binaries: String
    private let listen: String
    private let running = Mutex<ChildUnderTest?>(nil)
    private let databases = Atomic<Int>(0)

    /// Why no server can be started here, or nil when one can.
    public static let unavailable: String? = {
        guard getuid() == 0 else { return "PostgreSQL runs as the postgres user, and switching to it needs root" }
        guard getpwnam("postgres") != nil else { return "no postgres user (apt install postgresql)" }
        guard binaries != nil else { return "no PostgreSQL server under /usr/lib/postgresql (apt install postgresql)" }
        return nil
    }()

    /// setpriv's arguments that run the rest as the postgres user (it execs, so the pid is the server's).
    private static let asPostgres = ["--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]

    private static let binaries: String? = {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.compactMap(Int.init).sorted().last.map { "/usr/lib/postgresql/\($0)/bin" }
    }()

    /// One server for the whole test run, started on first use (a cluster takes seconds to
    /// make) and stopped when the process exits. Each test makes a database of its own.
    public static func shared() throws -> PostgresServer {
        try sharedServer.get()
    }

    private static let sharedServer: Result<PostgresServer, any Error> = {
        let result = Result { try PostgresServer() }
        if case .success(let server) = result { ExitCleanup.register { server.stop() } }
        return result
    }()

    /// - Parameter listeningAlso: addresses beyond 127.0.0.1 to listen on (the near ends of
    ///   network namespaces), from which password logins are accepted too.
    public init(listeningAlso: [String] = []) throws {
        guard let binaries = Self.binaries, let account = getpwnam("postgres") else {
            throw CommandFailure(command: "postgres", status: -1, stderr: Self.unavailable ?? "unavailable")
        }
        directory = try TestDirectory("postgres")
        guard chown(directory.path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
            throw LoopbackSocket.posixError("chown \(directory.path)")
        }
        let passwordFile = directory.file("password")
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        chown(passwordFile, account.pointee.pw_uid, account.pointee.pw_gid)
        let initialised = try runProcess("/usr/bin/setpriv", Self.asPostgres + [
            "\(binaries)/initdb", "-D", directory.file("data"), "-U", Self.user, "--pwfile", passwordFile,
            "-A", "scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions",
        ], in: directory.path)
        guard initialised.status == 0 else {
            throw CommandFailure(command: "initdb", status: initialised.status, stderr: initialised.stderr)
        }
        if !listeningAlso.isEmpty {
            // The namespaces' far ends are all in 198.18.0.0/15 (NetworkNamespace).
            let rules = "host all all 198.18.0.0/15 scram-sha-256\n"
            let hba = URL(fileURLWithPath: directory.file("data/pg_hba.conf"))
            let handle = try FileHandle(forWritingTo: hba)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(rules.utf8))
            try handle.close()
        }
        listen = (["127.0.0.1"] + listeningAlso).joined(separator: ",")
        port = try FreePort.tcp()
        self.binaries = binaries
        try start()
    }

    deinit { stop() }

    /// Starts the server on its cluster and port (again, after `stop`).
    public func start() throws {
        try running.withLock { running in
            guard running == nil else { return }
            let server = try ChildUnderTest("/usr/bin/setpriv", Self.asPostgres + [
                "\(binaries)/postgres", "-D", directory.file("data"), "-k", directory.path, "-p", "\(port)",
                "-c", "listen_addresses=\(listen)", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ], stderr: .file(directory.file("server.log")), directory: directory.path)
            // Listening comes before accepting sessions ("the database system is starting up").
            let deadline = Date().addingTimeInterval(30)
            while try runProcess("\(binaries)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)"]).status != 0 {
                guard Date() < deadline, server.wait(seconds: 0) == nil else {
                    server.stop()
                    throw CommandFailure(command: "postgres", status: -1, stderr: log)
                }
                usleep(50_000)
            }
            running = server
        }
    }

    /// A fast shutdown (SIGINT: sessions are ended, nothing is lost), SIGKILL if that hangs.
    public func stop() {
        running.withLock { running in
            guard let server = running else { return }
            server.signal(SIGINT)
            if server.wait(seconds: 10) == nil { server.stop() }
            running = nil
        }
    }

    public var log: String { (try? String(contentsOfFile: directory.file("server.log"), encoding: .utf8)) ?? "" }

    /// A new, empty database: its URL with the password written as `${passwordVariable}`.
    public func newDatabase(passwordVariable: String = "PGPASSWORD_TEST") throws -> String {
        let name = "launch\(databases.add(1, ordering: .sequentiallyConsistent).newValue)"
        try sql("CREATE DATABASE \(name)")
        return "postgresql://\(Self.user):${\(passwordVariable)}@127.0.0.1:\(port)/\(name)"
    }

    /// The URL with the password in it, as libpq takes it.
    public func resolved(_ template: String, passwordVariable: String = "PGPASSWORD_TEST") -> String {
        template.replacingOccurrences(of: "${\(passwordVariable)}", with: password)
    }

    /// Runs SQL through psql, PostgreSQL's own client, as the superuser; returns what it printed
    /// (unaligned, tuples only).
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") throws -> String {
        let result = try runProcess("/usr/bin/psql", ["-X", "-v", "ON_ERROR_STOP=1", "-At", "-h", "127.0.0.1", "-p", "\(port)",
                                                      "-U", Self.user, "-d", database, "-c", statement],
                                    environment: ["PGPASSWORD": password, "PATH": "/usr/bin:/bin"])
        guard result.status == 0 else {
            throw CommandFailure(command: "psql -c \(statement)", status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }
}
