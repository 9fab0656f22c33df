import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Per-connection deadlines of the HTTP server, and the connection's place in the
/// ``ConnectionRegistry`` (the connection cap).
///
/// A connection is always in one phase, each with its own deadline:
/// - **idle** (waiting for the first byte of a request): closed after the idle timeout;
/// - **reading the head** (bytes arrived, head incomplete — a slowloris): answered 408 and
///   closed after the header timeout, counted from the request's first byte;
/// - **reading the body** (the head went to the application): after the body timeout the
///   application's read of the body fails with a 408 `HTTPError` — so a partial body is never
///   taken for a whole one — and the connection is closed once that answer is written;
/// - **answering** (the request was read): no deadline, the application is working.
///
/// Sits after the HTTP codec (it sees request and response parts) and puts a ``ByteObserver``
/// first in the pipeline, so it also sees raw bytes before the codec has a whole head.
/// Confined to the channel's event loop, like every handler.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase {
        case idle, readingHead, readingBody, answering
    }

    private let limits: ServiceConfiguration.HTTPLimits
    private let registry: ConnectionRegistry
    private var phase = Phase.idle
    /// Requests whose head was read and whose response is not completely written.
    private var unanswered = 0
    private var deadline: Scheduled<Void>?
    private var ticket: ConnectionRegistry.Ticket?
    private var context: ChannelHandlerContext?
    private var started = false
    /// The body deadline passed: close as soon as the response is written.
    private var closeAfterResponse = false

    init(limits: ServiceConfiguration.HTTPLimits, registry: ConnectionRegistry) {
        self.limits = limits
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        do {
            try context.pipeline.syncOperations.addHandler(ByteObserver(owner: self), position: .first)
        } catch {
            context.close(promise: nil)
            return
        }
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            enter(.readingBody, context)
        case .body:
            break
        case .end:
            enter(unanswered > 0 ? .answering : .idle, context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        unanswered = max(0, unanswered - 1)  // Hummingbird answers a parse error with no head read
        guard unanswered == 0 else {
            context.write(data, promise: promise)
            return
        }
        if closeAfterResponse {
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
            return
        }
        context.write(data, promise: promise)
        if case .answering = phase { enter(.idle, context) } else { updateRegistry() }
    }

    /// Called by the ``ByteObserver`` for every read from the socket.
    fileprivate func bytesArrived() {
        guard case .idle = phase, let context else { return }
        enter(.readingHead, context)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard let ticket = registry.open(context.channel) else {
            context.close(promise: nil)
            return
        }
        self.ticket = ticket
        enter(.idle, context)
    }

    private func stop() {
        deadline?.cancel()
        deadline = nil
        if let ticket { registry.close(ticket) }
        ticket = nil
    }

    /// Moves to `next`, replacing the deadline with that of the new phase.
    private func enter(_ next: Phase, _ context: ChannelHandlerContext) {
        phase = next
        deadline?.cancel()
        deadline = nil
        updateRegistry()
        let timeout: (Duration, ConnectionRegistry.DropReason)? =
            switch next {
            case .idle: (limits.idleTimeout, .idleTimeout)
            case .readingHead: (limits.headerTimeout, .headerTimeout)
            case .readingBody: (limits.bodyTimeout, .bodyTimeout)
            case .answering: nil
            }
        guard let (duration, reason) = timeout, ticket != nil else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(duration)) { [self] in
            deadline = nil
            expired(reason, duration, context)
        }
    }

    /// Tells the registry whether this connection may be evicted: when nothing is owed to its
    /// client (a body still arriving after the answer, e.g. an unauthenticated upload, does not
    /// count).
    private func updateRegistry() {
        guard let ticket else { return }
        registry.setIdle(ticket, unanswered == 0)
    }

    private func expired(
        _ reason: ConnectionRegistry.DropReason, _ duration: Duration, _ context: ChannelHandlerContext
    ) {
        registry.record(reason)
        switch reason {
        case .headerTimeout where unanswered == 0:
            let error = APIError.status(
                .requestTimeout, message: "request head not complete within \(Self.seconds(duration))")
            let body = error.body
            var head = HTTPResponse(status: .requestTimeout)
            head.headerFields = [
                .contentType: "application/json", .contentLength: "\(body.readableBytes)", .connection: "close",
            ]
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.close(promise: nil)
        case .bodyTimeout where unanswered > 0:
            // The application holds the head and may be reading the body: fail that read (it
            // answers 408), then close once the answer is written.
            closeAfterResponse = true
            context.fireErrorCaught(
                HTTPError(.requestTimeout, message: "request body not complete within \(Self.seconds(duration))"))
        default:
            context.close(promise: nil)
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

/// First in a connection's pipeline: tells its ``ConnectionGuard`` whenever bytes arrive, so
/// a request head that trickles in is told from an idle connection.
private final class ByteObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let owner: ConnectionGuard

    init(owner: ConnectionGuard) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.bytesArrived()
        context.fireChannelRead(data)
    }
}
