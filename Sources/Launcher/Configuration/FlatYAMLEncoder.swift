/// Encodes a flat Codable settings struct as `key: value` pairs in
/// declaration order (keys spelled by SettingKey). Scalars become their text,
/// arrays `[a, b]`; nil optionals are left out but their keys are recorded,
/// so `keys` lists every setting the type declares.
struct FlatYAMLEncoder {
    /// What encoding produced: the pairs written and every key declared.
    struct Output {
        var pairs: [(key: String, value: String)] = []
        var keys: [String] = []
        var dictionary: [String: String] {
            Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b })
        }
        var text: String { FlatYAML.render(pairs.map { ($0.key, $0.value) }) }
    }

    static func encode<T: Encodable>(_ value: T) throws -> Output {
        let encoder = TopEncoder()
        try value.encode(to: encoder)
        return encoder.output
    }

    /// The struct level: a keyed container whose values are scalars or lists.
    private final class TopEncoder: Encoder {
        var output = Output()
        var codingPath: [CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Keyed<Key>(top: self))
        }
        func unkeyedContainer() -> UnkeyedEncodingContainer { fatalError("settings are a struct of named values") }
        func singleValueContainer() -> SingleValueEncodingContainer {
            fatalError("settings are a struct of named values")
        }
    }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let top: TopEncoder
        var codingPath: [CodingKey] { [] }

        private func put(_ key: Key, _ text: String?) {
            let name = SettingKey.yaml(key.stringValue)
            top.output.keys.append(name)
            if let text { top.output.pairs.append((name, text)) }
        }

        mutating func encodeNil(forKey key: Key) throws { put(key, nil) }
        // The concrete requirements, all through the generic path.
        mutating func encode(_ value: Bool, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: String, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: Double, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: Float, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: Int, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: Int8, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: Int16, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: Int32, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: UInt, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { put(key, "\(value)") }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { put(key, "\(value)") }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { put(key, try Scalar.text(value)) }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            put(key, try value.map { try Scalar.text($0) })
        }
        // The concrete overloads would otherwise skip nil without naming the key.
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { put(key, value) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { put(key, value.map { "\($0)" }) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { put(key, value.map { "\($0)" }) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { put(key, value.map { "\($0)" }) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { put(key, value.map { "\($0)" }) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { put(key, value.map { "\($0)" }) }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> { fatalError("settings are flat") }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            fatalError("settings are flat")
        }
        mutating func superEncoder() -> Encoder { top }
        mutating func superEncoder(forKey key: Key) -> Encoder { top }
    }

    /// A scalar or a list of scalars as YAML text.
    enum Scalar {
        static func text<T: Encodable>(_ value: T) throws -> String {
            switch value {
            case let v as String: return v
            case let v as LosslessStringConvertible: return v.description
            case let v as [Int]: return "[" + v.map(String.init).joined(separator: ", ") + "]"
            case let v as any RawRepresentable:
                if let raw = v.rawValue as? String { return raw }
            default: break
            }
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not a flat setting value"))
        }
    }
}
