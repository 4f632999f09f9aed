/// Decodes a flat Codable settings struct from `key: value` text, each value
/// remembering where it came from (a file, a flag, a preset) so a bad one is
/// reported there: "run.yaml: `lr: fast` is not a number".
struct FlatYAMLDecoder {
    struct Value {
        var text: String
        /// Where the text came from, for messages: "--lr", "cfg.yaml", "the voc preset".
        var source: String
    }

    static func decode<T: Decodable>(_ type: T.Type, from values: [String: Value]) throws -> T {
        try T(from: TopDecoder(values: values))
    }

    /// One value on its own (e.g. the dataset kind that picks the preset),
    /// named `key` in messages.
    static func decode<T: Decodable>(_ type: T.Type, key: String, fromText text: String, source: String) throws -> T {
        let top = TopDecoder(values: [SettingKey.yaml(key): Value(text: text, source: source)])
        return try top.container(keyedBy: NamedKey.self).decode(T.self, forKey: NamedKey(stringValue: key))
    }

    /// A coding key made from a setting's name.
    private struct NamedKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    private struct TopDecoder: Decoder {
        let values: [String: Value]
        var codingPath: [CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            KeyedDecodingContainer(Keyed<Key>(values: values))
        }
        func unkeyedContainer() throws -> UnkeyedDecodingContainer {
            throw UsageError("settings are a struct of named values")
        }
        func singleValueContainer() throws -> SingleValueDecodingContainer {
            throw UsageError("settings are a struct of named values")
        }
    }

    private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let values: [String: Value]
        var codingPath: [CodingKey] { [] }
        var allKeys: [Key] { values.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { values[SettingKey.yaml(key.stringValue)] != nil }
        func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }

        // The concrete requirements, all through the generic path.
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decodeValue(type, forKey: key) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decodeValue(type, forKey: key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decodeValue(type, forKey: key) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decodeValue(type, forKey: key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decodeValue(type, forKey: key) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decodeValue(type, forKey: key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decodeValue(type, forKey: key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decodeValue(type, forKey: key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decodeValue(type, forKey: key) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decodeValue(type, forKey: key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decodeValue(type, forKey: key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decodeValue(type, forKey: key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decodeValue(type, forKey: key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decodeValue(type, forKey: key) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decodeValue(type, forKey: key) }

        func decodeValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let name = SettingKey.yaml(key.stringValue)
            guard let value = values[name] else {
                throw UsageError("missing \(SettingKey.flag(key.stringValue)) (or `\(name):` in --config)")
            }
            do {
                return try T(from: ScalarDecoder(value: value))
            } catch {
                let origin = value.source.hasPrefix("--") ? value.source : "\(value.source): `\(name)`"
                var message = "\(origin): '\(value.text)' is not \(Self.kind(T.self))"
                if let choices = T.self as? any (CaseIterable & RawRepresentable).Type {
                    message += "; use one of " + Self.choices(choices)
                }
                throw UsageError(message)
            }
        }

        static func kind(_ type: Any.Type) -> String {
            switch type {
            case is Int.Type, is UInt64.Type: return "a whole number"
            case is Float.Type, is Double.Type: return "a number"
            case is Bool.Type: return "true or false"
            case is [Int].Type: return "a list of whole numbers like [256, 512]"
            default: return "a valid value"
            }
        }

        static func choices<C: CaseIterable & RawRepresentable>(_ type: C.Type) -> String {
            C.allCases.map { "\($0.rawValue)" }.joined(separator: ", ")
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> { throw UsageError("settings are flat") }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            throw UsageError("settings are flat")
        }
        func superDecoder() throws -> Decoder { TopDecoder(values: values) }
        func superDecoder(forKey key: Key) throws -> Decoder { TopDecoder(values: values) }
    }

    /// One value's text: a scalar, or `[a, b]` for a list.
    private struct ScalarDecoder: Decoder, SingleValueDecodingContainer {
        let value: Value
        var codingPath: [CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            throw UsageError("not a nested value")
        }
        func unkeyedContainer() throws -> UnkeyedDecodingContainer {
            ListDecoder(items: FlatYAML.list(value.text).map { Value(text: $0, source: value.source) })
        }
        func singleValueContainer() throws -> SingleValueDecodingContainer { self }

        func decodeNil() -> Bool { value.text.isEmpty || value.text == "~" || value.text == "null" }
        func decode(_ type: String.Type) throws -> String { value.text }
        func decode(_ type: Bool.Type) throws -> Bool { try parse(type) }
        func decode(_ type: Double.Type) throws -> Double { try parse(type) }
        func decode(_ type: Float.Type) throws -> Float { try parse(type) }
        func decode(_ type: Int.Type) throws -> Int { try parse(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try parse(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try parse(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try parse(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try parse(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try parse(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try parse(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try parse(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try parse(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try parse(type) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }

        private func parse<T: LosslessStringConvertible>(_ type: T.Type) throws -> T {
            guard let parsed = T(value.text) else { throw UsageError("'\(value.text)' does not parse") }
            return parsed
        }
    }

    private struct ListDecoder: UnkeyedDecodingContainer {
        let items: [Value]
        var currentIndex = 0
        var codingPath: [CodingKey] { [] }
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func decodeNil() throws -> Bool { false }
        mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type) }
        mutating func decode(_ type: String.Type) throws -> String { try next(type) }
        mutating func decode(_ type: Double.Type) throws -> Double { try next(type) }
        mutating func decode(_ type: Float.Type) throws -> Float { try next(type) }
        mutating func decode(_ type: Int.Type) throws -> Int { try next(type) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type) }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type) }

        private mutating func next<T: Decodable>(_ type: T.Type) throws -> T {
            defer { currentIndex += 1 }
            return try T(from: ScalarDecoder(value: items[currentIndex]))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> { throw UsageError("lists hold scalars") }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            throw UsageError("lists hold scalars")
        }
        mutating func superDecoder() throws -> Decoder { ScalarDecoder(value: items[currentIndex]) }
    }
}
