import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection to the server under test, for what an HTTP client hides: idle
/// connections, requests sent in pieces, and seeing the server close. Blocking calls: use it
/// inside ``offPool(_:)``, never on Swift's cooperative pool, which the in-process server needs.
/// One thread at a time uses a connection.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32
    private var received: [UInt8] = []
    private var closedByPeer = false

    /// Connects to `localhost:port` (IPv4 or IPv6, whichever the server bound).
    init(port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo("localhost", String(port), &hints, &list) == 0, let first = list else {
            throw HarnessError("cannot resolve localhost")
        }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        var lastError: Int32 = 0
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    self.fd = fd
                    return
                }
                lastError = errno
                Glibc.close(fd)
            } else {
                lastError = errno
            }
            candidate = info.pointee.ai_next
        }
        throw HarnessError("connect to localhost:\(port): \(String(cString: strerror(lastError)))")
    }

    deinit { Glibc.close(fd) }

    /// Sends all of `text`.
    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends all of `bytes`.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw HarnessError("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Closes the sending side (the server sees the end of the request stream).
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads what arrives within `timeout`; returns true once the server has closed.
    @discardableResult
    private func receive(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !closedByPeer {
            let left = deadline - ContinuousClock.now
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(
                &descriptor, 1,
                Int32(max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return false }
            var buffer = [UInt8](repeating: 0, count: 16_384)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[..<count]
            } else if count == 0 || errno == ECONNRESET {
                closedByPeer = true
            } else if errno != EINTR && errno != EAGAIN {
                closedByPeer = true
            }
        }
        return true
    }

    /// Whether the server has closed the connection (checked without waiting).
    var isClosed: Bool { receive(timeout: .zero) }

    /// Waits up to `timeout` for the server to close; true when it did.
    func waitForClose(timeout: Duration) -> Bool { receive(timeout: timeout) }

    /// Everything the server sent so far, as text.
    var receivedText: String { String(decoding: received, as: UTF8.self) }

    /// Waits up to `timeout` for one whole response (with `Content-Length`) and removes it from
    /// what was received.
    func readResponse(timeout: Duration) throws -> RawResponse {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let response = RawResponse(parsing: &received) { return response }
            guard !closedByPeer, ContinuousClock.now < deadline else {
                throw HarnessError(
                    "no whole response within \(timeout) (closed: \(closedByPeer)); got: \(receivedText)")
            }
            receive(timeout: min(deadline - ContinuousClock.now, .milliseconds(50)))
        }
    }
}

/// One HTTP/1.1 response read by a ``RawConnection``.
struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    /// Takes one response with a `Content-Length` body off the front of `bytes`; nil while incomplete.
    init?(parsing bytes: inout [UInt8]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) }) else {
            return nil
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end + 4
        guard bytes.count >= bodyStart + length else { return nil }
        self.status = status
        self.headers = headers
        self.body = String(decoding: bytes[bodyStart..<bodyStart + length], as: UTF8.self)
        bytes.removeFirst(bodyStart + length)
    }
}

/// Runs blocking socket work on a thread of its own, off Swift's cooperative pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Raises this process's soft limit of open files to at least `count` (up to the hard limit),
/// for tests that hold thousands of connections at both ends.
func raiseOpenFileLimit(to count: Int) throws {
    var limits = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limits) == 0 else { throw HarnessError("getrlimit failed") }
    guard limits.rlim_cur < rlim_t(count) else { return }
    guard limits.rlim_max >= rlim_t(count) else {
        throw HarnessError("the hard limit of open files (\(limits.rlim_max)) is below the \(count) this test needs")
    }
    limits.rlim_cur = rlim_t(count)
    guard setrlimit(resource, &limits) == 0 else { throw HarnessError("setrlimit(\(count)) failed") }
}

/// Resident memory of this process in bytes (Linux `/proc/self/status`), nil elsewhere.
func residentMemory() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kilobytes * 1024
}
