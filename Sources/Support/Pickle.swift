import Foundation

/// A value produced by the pickle reader. Lists and dicts are reference
/// boxes because pickle fills them after they were memoised.
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function named by GLOBAL / STACK_GLOBAL.
    case global(module: String, name: String)
    /// REDUCE: callable(args) — left for the consumer to interpret.
    case call(PickleValue, [PickleValue])
    /// BUILD: obj.__setstate__(state).
    case build(PickleValue, PickleValue)
    /// BINPERSID / PERSID: the persistent id (torch storages).
    case persistent(PickleValue)

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var int: Int? { if case .int(let i) = self { return i }; return nil }
    public var tuple: [PickleValue]? {
        switch self {
        case .tuple(let t): return t
        case .list(let l): return l.items
        default: return nil
        }
    }
}

public final class PickleList { public var items: [PickleValue] = [] }
public final class PickleDict { public var entries: [(PickleValue, PickleValue)] = [] }

/// The subset of the pickle protocol (0–5 binary opcodes) that NumPy's
/// object arrays (cls_labels.npy) and PyTorch state dicts (.pth data.pkl)
/// use. It never executes anything: globals and calls come back as data.
public struct PickleReader {
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "unreadable pickle: \(reason)" }
    }

    let bytes: [UInt8]
    var position = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public static func parse(_ bytes: [UInt8]) throws -> PickleValue {
        var reader = PickleReader(bytes)
        return try reader.run()
    }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw Failure(reason: "truncated at byte \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, position + n <= bytes.count else { throw Failure(reason: "truncated at byte \(position)") }
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    mutating func uint(_ n: Int) throws -> Int {
        let b = try take(n)
        return b.enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
    }

    mutating func line() throws -> String {
        var out: [UInt8] = []
        while true { let b = try byte(); if b == 0x0A { break }; out.append(b) }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw Failure(reason: "stack underflow at byte \(position)") }
        return v
    }

    mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw Failure(reason: "MARK missing at byte \(position)") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func run() throws -> PickleValue {
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()                                   // PROTO
            case 0x95: _ = try take(8)                                  // FRAME
            case 0x2E: return try pop()                                 // STOP
            case 0x28: marks.append(stack.count)                        // MARK
            case 0x4E: stack.append(.none)                              // NONE
            case 0x88: stack.append(.bool(true))                        // NEWTRUE
            case 0x89: stack.append(.bool(false))                       // NEWFALSE
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
            case 0x4B: stack.append(.int(try uint(1)))                  // BININT1
            case 0x4D: stack.append(.int(try uint(2)))                  // BININT2
            case 0x8A:                                                  // LONG1
                let n = Int(try byte())
                let b = try take(n)
                var v = 0
                for (i, x) in b.enumerated() where i < 8 { v |= Int(x) << (8 * i) }
                if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 { v -= 1 << (8 * n) }
                stack.append(.int(v))
            case 0x47:                                                  // BINFLOAT (big-endian)
                let b = try take(8)
                stack.append(.float(Double(bitPattern: b.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) })))
            case 0x58: stack.append(.string(String(decoding: try take(try uint(4)), as: UTF8.self)))  // BINUNICODE
            case 0x8C: stack.append(.string(String(decoding: try take(try uint(1)), as: UTF8.self)))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(String(decoding: try take(try uint(8)), as: UTF8.self)))  // BINUNICODE8
            case 0x55: stack.append(.string(String(decoding: try take(try uint(1)), as: UTF8.self)))  // SHORT_BINSTRING
            case 0x54: stack.append(.string(String(decoding: try take(try uint(4)), as: UTF8.self)))  // BINSTRING
            case 0x43: stack.append(.bytes(try take(try uint(1))))      // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(try take(try uint(4))))      // BINBYTES
            case 0x8E: stack.append(.bytes(try take(try uint(8))))      // BINBYTES8
            case 0x96: stack.append(.bytes(try take(try uint(8))))      // BYTEARRAY8
            case 0x29: stack.append(.tuple([]))                         // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark()))              // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))                // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))            // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c]))  // TUPLE3
            case 0x5D: stack.append(.list(PickleList()))                // EMPTY_LIST
            case 0x6C: let l = PickleList(); l.items = try popMark(); stack.append(.list(l))     // LIST
            case 0x7D: stack.append(.dict(PickleDict()))                // EMPTY_DICT
            case 0x64:                                                  // DICT
                let items = try popMark()
                let d = PickleDict()
                for i in stride(from: 0, to: items.count - 1, by: 2) { d.entries.append((items[i], items[i + 1])) }
                stack.append(.dict(d))
            case 0x61:                                                  // APPEND
                let v = try pop()
                guard case .list(let l) = stack.last else { throw Failure(reason: "APPEND to a non-list") }
                l.items.append(v)
            case 0x65:                                                  // APPENDS
                let items = try popMark()
                guard case .list(let l) = stack.last else { throw Failure(reason: "APPENDS to a non-list") }
                l.items += items
            case 0x73:                                                  // SETITEM
                let v = try pop(), k = try pop()
                guard case .dict(let d) = stack.last else { throw Failure(reason: "SETITEM on a non-dict") }
                d.entries.append((k, v))
            case 0x75:                                                  // SETITEMS
                let items = try popMark()
                guard case .dict(let d) = stack.last else { throw Failure(reason: "SETITEMS on a non-dict") }
                for i in stride(from: 0, to: items.count - 1, by: 2) { d.entries.append((items[i], items[i + 1])) }
            case 0x63:                                                  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(.global(module: module, name: name))
            case 0x93:                                                  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                stack.append(.global(module: module.string ?? "", name: name.string ?? ""))
            case 0x52:                                                  // REDUCE
                let args = try pop(), callable = try pop()
                // An OrderedDict is filled by SETITEMS afterwards: make it a dict now.
                if case .global(let module, let name) = callable, module == "collections", name == "OrderedDict" {
                    stack.append(.dict(PickleDict()))
                } else {
                    stack.append(.call(callable, args.tuple ?? []))
                }
            case 0x81:                                                  // NEWOBJ
                let args = try pop(), cls = try pop()
                stack.append(.call(cls, args.tuple ?? []))
            case 0x62:                                                  // BUILD
                let state = try pop(), obj = try pop()
                stack.append(.build(obj, state))
            case 0x51: stack.append(.persistent(try pop()))             // BINPERSID
            case 0x71: memo[try uint(1)] = stack.last                   // BINPUT
            case 0x72: memo[try uint(4)] = stack.last                   // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last                    // MEMOIZE
            case 0x68, 0x6A:                                            // BINGET, LONG_BINGET
                let key = try uint(op == 0x68 ? 1 : 4)
                guard let v = memo[key] else { throw Failure(reason: "memo \(key) unset") }
                stack.append(v)
            case 0x30: _ = try pop()                                    // POP
            case 0x31: _ = try popMark()                                // POP_MARK
            case 0x32: guard let top = stack.last else { throw Failure(reason: "DUP of empty stack") }; stack.append(top)
            default:
                throw Failure(reason: String(format: "opcode 0x%02x at byte %d is not supported", op, position - 1))
            }
        }
    }
}

/// NumPy's .npy container: header dict and the payload that follows it.
public struct NumpyFile {
    public let descr: String
    public let shape: [Int]
    public let fortranOrder: Bool
    public let payload: [UInt8]

    public static func parse(_ data: [UInt8]) throws -> NumpyFile {
        guard data.count >= 10, data[0] == 0x93, Array(data[1...5]) == Array("NUMPY".utf8) else {
            throw PickleReader.Failure(reason: "not a .npy file (no \\x93NUMPY magic)")
        }
        let major = data[6]
        let headerLength = major == 1 ? Int(data[8]) | Int(data[9]) << 8
            : Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
        let start = major == 1 ? 10 : 12
        guard start + headerLength <= data.count else { throw PickleReader.Failure(reason: ".npy header is truncated") }
        let header = String(decoding: data[start..<(start + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        let descr = field("descr").flatMap { $0.split(separator: "'").first.map(String.init) } ?? ""
        let shapeText = field("shape").flatMap { s -> String? in
            guard let open = s.firstIndex(of: "("), let close = s.firstIndex(of: ")") else { return nil }
            return String(s[s.index(after: open)..<close])
        } ?? ""
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return NumpyFile(descr: descr, shape: shape, fortranOrder: field("fortran_order")?.hasPrefix("True") ?? false,
                         payload: Array(data[(start + headerLength)...]))
    }
}

/// Arrays inside pickles made by NumPy: ndarray objects are
/// `_reconstruct(ndarray, (0,), b'b')` followed by BUILD with the state
/// (version, shape, dtype, fortran_order, data).
public enum NumpyPickle {
    /// The objects of a pickled object array (np.save of a dict gives one).
    public static func objects(_ value: PickleValue) -> [PickleValue]? {
        guard case .build(_, let state) = value, let s = state.tuple, s.count >= 5 else { return nil }
        return s[4].tuple
    }

    /// A numeric ndarray as Float values (f4, f8, i8, i4, u1, b1; little-endian).
    public static func floats(_ value: PickleValue) -> [Float]? {
        guard case .build(_, let state) = value, let s = state.tuple, s.count >= 5 else { return nil }
        guard case .bytes(let raw) = s[4] else { return nil }
        guard let kind = dtypeName(s[2]) else { return nil }
        return raw.withUnsafeBytes { p -> [Float]? in
            switch kind {
            case "f4": return (0..<(raw.count / 4)).map { Float(bitPattern: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }
            case "f8": return (0..<(raw.count / 8)).map { Float(Double(bitPattern: p.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian)) }
            case "i8": return (0..<(raw.count / 8)).map { Float(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
            case "i4": return (0..<(raw.count / 4)).map { Float(Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
            case "u1", "b1": return raw.map { Float($0) }
            default: return nil
            }
        }
    }

    /// `dtype('f4', False, True)` (BUILD-ed with its byte-order state) → "f4".
    static func dtypeName(_ value: PickleValue) -> String? {
        var v = value
        if case .build(let obj, _) = v { v = obj }
        guard case .call(_, let args) = v, let first = args.first?.string else { return nil }
        return first
    }
}
