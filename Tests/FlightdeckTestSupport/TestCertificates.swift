import Foundation

/// A certificate authority and certificates made with the openssl command for one test run:
/// nothing is checked in, nothing outlives the run.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caCertificate: String { "\(directory)/ca.pem" }
    public var serverCertificate: String { "\(directory)/server.pem" }
    public var serverKey: String { "\(directory)/server.key" }
    public var clientCertificate: String { "\(directory)/client.pem" }
    public var clientKey: String { "\(directory)/client.key" }
    /// A certificate nobody vouches for.
    public var selfSignedCertificate: String { "\(directory)/self-signed.pem" }
    public var selfSignedKey: String { "\(directory)/self-signed.key" }

    static let openssl = "/usr/bin/openssl"

    /// Makes a CA, a server certificate for `names`, a client certificate and a self-signed one.
    public init(directory: String, names: [String]) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.selfSigned(subject: "/CN=Flightdeck Test CA", key: "ca.key", certificate: "ca.pem", isCA: true, in: directory)
        try Self.issue(subject: "/CN=\(names[0])", names: names, name: "server", usage: "serverAuth", in: directory)
        try Self.issue(subject: "/CN=launch-director", names: [], name: "client", usage: "clientAuth", in: directory)
        try Self.selfSigned(subject: "/CN=\(names[0])", key: "self-signed.key", certificate: "self-signed.pem", isCA: false, in: directory)
    }

    private static func selfSigned(subject: String, key: String, certificate: String, isCA: Bool, in directory: String) throws {
        var arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", key, "-out", certificate, "-days", "30", "-subj", subject]
        if isCA { arguments += ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"] }
        try runCommand(openssl, arguments, in: directory)
    }

    private static func issue(subject: String, names: [String], name: String, usage: String, in directory: String) throws {
        try runCommand(openssl, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                 "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject], in: directory)
        var extensions = "basicConstraints=CA:FALSE\nextendedKeyUsage=\(usage)\n"
        if !names.isEmpty { extensions += "subjectAltName=" + names.map { "DNS:\($0)" }.joined(separator: ",") + "\n" }
        try extensions.write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
        try runCommand(openssl, ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                                 "-out", "\(name).pem", "-days", "30", "-extfile", "\(name).ext"], in: directory)
    }
}
