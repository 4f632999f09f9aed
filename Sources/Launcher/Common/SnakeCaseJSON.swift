import Foundation

/// The JSON every file of eps-dist is written and read with: snake_case
/// keys (from the Swift property names), sorted; one object per line for
/// logs (`compact`), indented for files people open (`pretty`).
enum SnakeCaseJSON {
    static let compact = encoder(formatting: [.sortedKeys])
    static let pretty = encoder(formatting: [.prettyPrinted, .sortedKeys])
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    private static func encoder(formatting: JSONEncoder.OutputFormatting) -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = formatting
        return e
    }
}
