import Foundation

/// Reads typed fields out of a JSON object, producing `DecodingError`s that name the field path.
struct FieldReader {
    /// Path of the object being read, e.g. `data.checks[2]` (built only when an error names it).
    var path: String { element.map { "\(basePath)[\($0)]" } ?? basePath }
    /// The path of the object, or of its array when it is an element of one.
    private let basePath: String
    /// The object's index in that array.
    private let element: Int?
    let fields: [String: JSONValue]
    let context: DecodingContext

    /// How member names appear in error paths when they are not JSON members (e.g. Kafka headers).
    let memberName: (@Sendable (String) -> String)?

    /// Wraps `value` at `path`, which must be a JSON object; `memberName` renames members in error paths.
    init(
        _ value: JSONValue, path: String, context: DecodingContext, memberName: (@Sendable (String) -> String)? = nil
    ) throws(DecodingError) {
        try self.init(value, basePath: path, element: nil, context: context, memberName: memberName)
    }

    private init(
        _ value: JSONValue, basePath: String, element: Int?, context: DecodingContext,
        memberName: (@Sendable (String) -> String)?
    ) throws(DecodingError) {
        self.basePath = basePath
        self.element = element
        guard case .object(let fields) = value else {
            throw DecodingError(
                path: element.map { "\(basePath)[\($0)]" } ?? basePath, reason: "expected object, got \(value.typeName)"
            )
        }
        self.fields = fields
        self.context = context
        self.memberName = memberName
    }

    func childPath(_ key: String) -> String {
        if let memberName { return memberName(key) }
        return path.isEmpty ? key : "\(path).\(key)"
    }

    /// Rejects members not in `allowed` (CDEvents schemas declare `additionalProperties: false`).
    func rejectUnknown(allowing allowed: Set<String>) throws(DecodingError) {
        if let extra = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw DecodingError(path: childPath(extra), reason: "unknown field")
        }
    }

    private func value(_ key: String, required: Bool) throws(DecodingError) -> JSONValue? {
        switch fields[key] {
        case .none, .some(.null):
            if required { throw DecodingError(path: childPath(key), reason: "required field is missing") }
            return nil
        case .some(let v): return v
        }
    }

    /// Throws "required field is missing" when `key` is absent or null.
    func require(_ key: String) throws(DecodingError) {
        _ = try value(key, required: true)
    }

    /// The value at `key` extracted as `expected` (nil when absent), or a type error.
    private func typed<T>(_ key: String, _ expected: String, _ extract: (JSONValue) -> T?) throws(DecodingError) -> T? {
        guard let v = try value(key, required: false) else { return nil }
        guard let typed = extract(v) else {
            throw DecodingError(path: childPath(key), reason: "expected \(expected), got \(v.typeName)")
        }
        return typed
    }

    func string(_ key: String) throws(DecodingError) -> String? {
        guard let s = try typed(key, "string", { if case .string(let s) = $0 { s } else { nil } }) else { return nil }
        return try checked(s, path: childPath(key))
    }

    /// `s` in Unicode NFC when the context accepts it: not empty (unless allowed), within the
    /// length limit (of the normalized bytes: what is stored and compared).
    ///
    /// Every string is normalized here, so one name has one spelling everywhere: `analyze`
    /// compares strings by canonical equivalence (Swift's `==`), PostgreSQL by bytes, and
    /// "café" written precomposed or with a combining accent must be the same service in both.
    private func checked(_ raw: String, path: @autoclosure () -> String) throws(DecodingError) -> String {
        let s = Self.canonical(raw)
        guard !s.isEmpty || context.allowsEmptyStrings else {
            throw DecodingError(path: path(), reason: "must not be empty")
        }
        // PostgreSQL cannot store U+0000 in text or jsonb: refused here, with its path, rather
        // than by the database.
        guard !s.utf8.contains(0) else {
            throw DecodingError(path: path(), reason: "contains NUL (U+0000), which cannot be stored")
        }
        // Bytes, not characters: a grapheme can hold any number of combining marks.
        guard s.utf8.count <= context.limits.maxStringLength else {
            throw DecodingError(
                path: path(),
                reason: "string of \(s.utf8.count) bytes exceeds the limit of \(context.limits.maxStringLength) bytes")
        }
        return s
    }

    /// `s` in Unicode Normalization Form C; ASCII (most identifiers) is already.
    static func canonical(_ s: String) -> String {
        s.utf8.allSatisfy { $0 < 0x80 } ? s : s.precomposedStringWithCanonicalMapping
    }

    /// The strings of the array at `key` (empty when absent).
    func strings(_ key: String) throws(DecodingError) -> [String] {
        let items: [JSONValue] = try typed(key, "array") { if case .array(let items) = $0 { items } else { nil } } ?? []
        var strings: [String] = []
        strings.reserveCapacity(items.count)
        for (offset, item) in items.enumerated() {
            guard case .string(let s) = item else {
                throw DecodingError(
                    path: "\(childPath(key))[\(offset)]", reason: "expected string, got \(item.typeName)")
            }
            strings.append(try checked(s, path: "\(childPath(key))[\(offset)]"))
        }
        return strings
    }

    /// The members of the object at `key` read with `read` (empty when absent), e.g. a map of
    /// strings: `try r.members("links") { try $0.requiredString($1) }`.
    func members<T>(_ key: String, _ read: (FieldReader, String) throws(DecodingError) -> T) throws(DecodingError)
        -> [String: T]
    {
        guard let object = try object(key) else { return [:] }
        var members: [String: T] = [:]
        for name in object.fields.keys.sorted() { members[name] = try read(object, name) }
        return members
    }

    /// `read(key)` for a member that must be present.
    private func required<T>(_ key: String, _ read: (String) throws(DecodingError) -> T?) throws(DecodingError) -> T {
        try require(key)
        return try read(key)!
    }

    func requiredString(_ key: String) throws(DecodingError) -> String { try required(key, string) }

    func number(_ key: String, in range: ClosedRange<Double>? = nil) throws(DecodingError) -> Double? {
        guard let n = try typed(key, "number", { if case .number(let n) = $0 { n } else { nil } }) else { return nil }
        guard abs(n) <= context.limits.maxNumberMagnitude else {
            throw DecodingError(
                path: childPath(key),
                reason:
                    "magnitude \(JSONValue.format(number: abs(n))) exceeds the limit of \(JSONValue.format(number: context.limits.maxNumberMagnitude))"
            )
        }
        if let range, !range.contains(n) {
            throw DecodingError(
                path: childPath(key),
                reason:
                    "must be between \(JSONValue.format(number: range.lowerBound)) and \(JSONValue.format(number: range.upperBound)), got \(JSONValue.format(number: n))"
            )
        }
        return n
    }

    func requiredNumber(_ key: String) throws(DecodingError) -> Double {
        try required(key) { k throws(DecodingError) in try number(k) }
    }

    func integer(_ key: String, minimum: Int = 0) throws(DecodingError) -> Int? {
        guard let n = try number(key) else { return nil }
        guard n == n.rounded(), n >= Double(minimum), n < 1e12 else {
            throw DecodingError(
                path: childPath(key), reason: "expected integer >= \(minimum), got \(JSONValue.format(number: n))")
        }
        return Int(n)
    }

    func requiredInteger(_ key: String) throws(DecodingError) -> Int {
        try required(key) { k throws(DecodingError) in try integer(k) }
    }

    func bool(_ key: String) throws(DecodingError) -> Bool? {
        try typed(key, "boolean") { if case .bool(let b) = $0 { b } else { nil } }
    }

    func requiredBool(_ key: String) throws(DecodingError) -> Bool { try required(key, bool) }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(DecodingError) -> E?
    where E.RawValue == String {
        guard let raw = try string(key) else { return nil }
        guard let e = E(rawValue: raw) else {
            let options = E.allCases.map(\.rawValue).joined(separator: "|")
            throw DecodingError(path: childPath(key), reason: "expected one of \(options), got \"\(raw)\"")
        }
        return e
    }

    func requiredEnumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(DecodingError)
        -> E
    where E.RawValue == String {
        try required(key) { k throws(DecodingError) in try enumeration(k, type) }
    }

    /// An RFC 3339 time, no later than the injected clock plus the allowed skew.
    func date(_ key: String) throws(DecodingError) -> Date? {
        guard let text = try string(key) else { return nil }
        return try context.date(text, path: self.childPath(key))
    }

    func requiredDate(_ key: String) throws(DecodingError) -> Date { try required(key, date) }

    func object(_ key: String) throws(DecodingError) -> FieldReader? {
        guard let v = try value(key, required: false) else { return nil }
        return try FieldReader(v, path: childPath(key), context: context)
    }

    func requiredObject(_ key: String) throws(DecodingError) -> FieldReader { try required(key, object) }

    /// Each element of the array at `key` as an object reader (empty when absent).
    func objects(_ key: String) throws(DecodingError) -> [FieldReader] {
        let items: [JSONValue] = try typed(key, "array") { if case .array(let items) = $0 { items } else { nil } } ?? []
        guard !items.isEmpty else { return [] }
        let arrayPath = childPath(key)
        var readers: [FieldReader] = []
        readers.reserveCapacity(items.count)
        for (offset, item) in items.enumerated() {
            readers.append(
                try FieldReader(item, basePath: arrayPath, element: offset, context: context, memberName: nil))
        }
        return readers
    }
}

/// What decoding needs besides the bytes: limits and the injected clock.
struct DecodingContext {
    let limits: DecodingLimits
    let now: Date
    /// Whether an empty string is a value (input refuses it; the service's own documents keep it).
    var allowsEmptyStrings = false

    func date(_ text: String, path: @autoclosure () -> String) throws(DecodingError) -> Date {
        guard let date = RFC3339.parse(text) else {
            throw DecodingError(path: path(), reason: "expected RFC 3339 time, got \"\(text)\"")
        }
        let latest = now.addingTimeInterval(limits.maxFutureSkew)
        guard date <= latest else {
            throw DecodingError(
                path: path(),
                reason:
                    "time \(text) is more than \(JSONValue.format(number: limits.maxFutureSkew))s after now (\(RFC3339.format(now)))"
            )
        }
        return date
    }
}
