/// The PostgreSQL type OIDs the client encodes and decodes. `unknown` (0) lets the server
/// infer a parameter's type from its context.
public struct PostgresTypeOID: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let unknown = Self(rawValue: 0)
    public static let bool = Self(rawValue: 16)
    public static let bytea = Self(rawValue: 17)
    public static let int8 = Self(rawValue: 20)
    public static let int2 = Self(rawValue: 21)
    public static let int4 = Self(rawValue: 23)
    public static let text = Self(rawValue: 25)
    public static let oid = Self(rawValue: 26)
    public static let json = Self(rawValue: 114)
    public static let float4 = Self(rawValue: 700)
    public static let float8 = Self(rawValue: 701)
    public static let varchar = Self(rawValue: 1043)
    public static let timestamp = Self(rawValue: 1114)
    public static let timestamptz = Self(rawValue: 1184)
    public static let numeric = Self(rawValue: 1700)
    public static let uuid = Self(rawValue: 2950)
    public static let jsonb = Self(rawValue: 3802)

    public static let boolArray = Self(rawValue: 1000)
    public static let int2Array = Self(rawValue: 1005)
    public static let int4Array = Self(rawValue: 1007)
    public static let textArray = Self(rawValue: 1009)
    public static let int8Array = Self(rawValue: 1016)
    public static let float8Array = Self(rawValue: 1022)
    public static let timestamptzArray = Self(rawValue: 1185)
    public static let uuidArray = Self(rawValue: 2951)
    public static let jsonbArray = Self(rawValue: 3807)

    /// The array type whose elements are of this type, or `unknown`.
    var arrayType: PostgresTypeOID {
        switch self {
        case .bool: .boolArray
        case .int2: .int2Array
        case .int4: .int4Array
        case .int8: .int8Array
        case .text, .unknown, .varchar: .textArray
        case .float8: .float8Array
        case .timestamptz: .timestamptzArray
        case .uuid: .uuidArray
        case .jsonb: .jsonbArray
        default: .unknown
        }
    }
}
