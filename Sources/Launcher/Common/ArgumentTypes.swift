import ArgumentParser
import Engine

/// Choice-valued flags parsed by ArgumentParser, so an unknown value gets its
/// one message ("--arch: not one of tiny, resnet38, resnet50") everywhere.
extension Architecture: ExpressibleByArgument {}
extension Method: ExpressibleByArgument {}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// "a, b or c", for help texts built from the cases themselves.
    static var helpList: String {
        let names = allCases.map(\.rawValue)
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
