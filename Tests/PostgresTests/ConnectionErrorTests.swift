import Foundation
import LocalPostgres
import Postgres
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Connection failures are clear and bounded")
struct ConnectionErrorTests {
    static let badURLs: [(url: String, message: String)] = [
        (
            "postgresql://u:s3cret@host/db?bogus=1",
            "invalid database URL or conninfo: invalid URI query parameter: \"bogus\""
        ),
        (
            "host=db password=s3cret sslmode",
            "invalid database URL or conninfo: missing \"=\" after \"sslmode\" in connection info string"
        ),
        (
            "postgresql://u:s3cret@127.0.0.1:notaport/db",
            "could not connect to PostgreSQL at u@127.0.0.1:notaport/db: invalid integer value \"notaport\" for connection option \"port\""
        ),
    ]

    @Test(arguments: badURLs)
    func invalidURLNamesTheProblemWithoutEchoingSecrets(_ url: String, _ message: String) async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
        }
        #expect(error?.kind == .connection)
        #expect(error?.message == message)
        #expect(error?.description.contains("s3cret") == false)
    }

    @Test func wrongPasswordSaysAuthenticationFailed() async throws {
        let cluster = TestDatabase.cluster
        let role = LocalPostgresCluster.passwordRole
        let url = "postgresql://\(role):wrong-password@127.0.0.1:\(cluster.port)/postgres"
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
        }
        #expect(error?.kind == .connection)
        #expect(
            error?.message.contains("could not connect to PostgreSQL at \(role)@127.0.0.1:\(cluster.port)/postgres")
                == true)
        #expect(error?.message.contains("password authentication failed for user \"\(role)\"") == true)
        #expect(error?.description.contains("wrong-password") == false)

        // The right password works, proving the test exercises real authentication.
        let password = LocalPostgresCluster.passwordRolePassword.addingPercentEncoding(
            withAllowedCharacters: .alphanumerics)!
        let good = try await PostgresConnection.connect(
            PostgresConfiguration(
                connectionString: "postgresql://\(role):\(password)@127.0.0.1:\(cluster.port)/postgres"))
        #expect(try await good.serverVersion() >= 150_000)
    }

    @Test func refusedPortFailsFast() async throws {
        let port = try SilentListener.unusedPort()
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(
                PostgresConfiguration(
                    connectionString: "postgresql://postgres@127.0.0.1:\(port)/postgres", connectTimeoutSeconds: 60))
        }
        // Refusal is reported at once, not after the (long) connect timeout.
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        #expect(error?.message.contains("Connection refused") == true)
    }

    @Test func unresponsiveServerTimesOut() async throws {
        // A socket that accepts TCP connections but never answers the startup packet.
        let listener = try SilentListener()
        defer { listener.close() }
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(
                PostgresConfiguration(
                    connectionString: "postgresql://postgres@127.0.0.1:\(listener.port)/postgres",
                    connectTimeoutSeconds: 2))
        }
        let elapsed = ContinuousClock.now - started
        // Bounded by connect_timeout (2 s), with slack for a loaded machine; never a hang.
        #expect(elapsed >= .seconds(1) && elapsed < .seconds(30))
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("timeout expired") == true)
    }
}

/// A TCP socket on 127.0.0.1 that listens (so connects succeed) but never reads or writes.
final class SilentListener: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        port = try Self.bindLoopback(descriptor)
        guard listen(descriptor, 16) == 0 else { throw PostgresError(.client, "listen failed: \(errno)") }
    }

    func close() { _ = Glibc.close(descriptor) }

    /// A port nothing listens on: bound then released.
    static func unusedPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(descriptor) }
        return try bindLoopback(descriptor)
    }

    private static func bindLoopback(_ descriptor: Int32) throws -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard ok else { throw PostgresError(.client, "bind failed: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
