import FlightdeckTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The harness runs hundreds of servers and children in one process at once: what one of
/// them holds of another's (a descriptor, a blocked signal) made tests fail at random.
@Suite("The test harness shares nothing between tests")
struct TestHarnessTests {
    @Test("a child the tests start holds only its three streams, and signals reach it")
    func childInheritsNothing() throws {
        // A socket of this process's without close-on-exec, as the in-process servers' are.
        let socket = try LoopbackSocket.listening(host: "127.0.0.1", port: 0)
        defer { close(socket.descriptor) }
        let result = try runProcess("/bin/sh", ["-c", "ls /proc/$$/fd; grep SigBlk /proc/self/status"])
        #expect(result.status == 0)
        #expect(result.stdout == "0\n1\n2\nSigBlk:\t0000000000000000\n")

        let sleeper = try ChildUnderTest("/bin/sleep", ["60"])
        sleeper.signal(SIGTERM)
        #expect(sleeper.wait(seconds: 10) == .signalled(SIGTERM))
    }

    @Test("runProcess reads both outputs as they come: a child that fills stderr first still ends", .timeLimit(.minutes(1)))
    func bothOutputsDrained() throws {
        let result = try runProcess("/bin/sh", ["-c", "head -c 300000 /dev/zero | tr '\\0' e >&2; echo out"], stdin: "ignored")
        #expect(result.status == 0)
        #expect(result.stdout == "out\n")
        #expect(result.stderr.utf8.count == 300_000)
    }

    @Test("a hostile server forgets a connection once it has closed it, so stopping it cannot shut down another test's socket")
    func closedConnectionsForgotten() async throws {
        let server = try HostileServer(.closeWithoutAnswer)
        defer { server.stop() }
        let client = try LoopbackSocket.connect(host: "127.0.0.1", port: server.port)
        defer { close(client) }
        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var byte: UInt8 = 0
        #expect(recv(client, &byte, 1, 0) == 0, "the server hung up")
        let deadline = Date().addingTimeInterval(5)
        while server.connectionsOpen > 0, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.connectionsAccepted == 1)
        #expect(server.connectionsOpen == 0)
    }
}
