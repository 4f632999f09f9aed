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

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var int: Int? {
        if case .int(let i) = self { return i }
        return nil
    }
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

    var input: ByteReader
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]

    public init(_ bytes: [UInt8]) { input = ByteReader(bytes) }

    public static func parse(_ bytes: [UInt8]) throws -> PickleValue {
        var reader = PickleReader(bytes)
        do { return try reader.run() } catch let error as ByteReader.Failure {
            throw Failure(reason: error.description)
        }
    }

    var position: Int { input.offset }

    mutating func byte() throws -> UInt8 { try input.u8("an opcode or its argument") }

    mutating func take(_ n: Int) throws -> [UInt8] { [UInt8](try input.bytes(n, "an argument of \(n) bytes")) }

    /// An n-byte little-endian argument (n = 1, 2 or 4), or an 8-byte length
    /// (which must fit in what is left, so it is never a negative or huge Int).
    mutating func uint(_ n: Int) throws -> Int {
        switch n {
        case 1: return Int(try input.u8("a 1-byte argument"))
        case 2: return Int(try input.u16("a 2-byte argument"))
        case 4: return Int(try input.u32("a 4-byte argument"))
        default: return try input.count("an 8-byte length", minBytesEach: 1)
        }
    }

    mutating func text(_ n: Int) throws -> String { String(decoding: try take(n), as: UTF8.self) }

    mutating func line() throws -> String {
        var out: [UInt8] = []
        while true {
            let b = try byte()
            if b == 0x0A { break }
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw Failure(reason: "stack underflow at byte \(position)") }
        return v
    }

    mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else {
            throw Failure(reason: "MARK missing at byte \(position)")
        }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func run() throws -> PickleValue {
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E: return try pop()  // STOP
            case 0x28: marks.append(stack.count)  // MARK
            case 0x4E: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
            case 0x4B: stack.append(.int(try uint(1)))  // BININT1
            case 0x4D: stack.append(.int(try uint(2)))  // BININT2
            case 0x8A:  // LONG1
                let n = Int(try byte())
                let b = try take(n)
                var v = 0
                for (i, x) in b.enumerated() where i < 8 { v |= Int(x) << (8 * i) }
                if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 { v -= 1 << (8 * n) }
                stack.append(.int(v))
            case 0x47:  // BINFLOAT (big-endian)
                let b = try take(8)
                stack.append(.float(Double(bitPattern: b.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) })))
            case 0x58: stack.append(.string(try text(uint(4))))  // BINUNICODE
            case 0x8C: stack.append(.string(try text(uint(1))))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try text(uint(8))))  // BINUNICODE8
            case 0x55: stack.append(.string(try text(uint(1))))  // SHORT_BINSTRING
            case 0x54: stack.append(.string(try text(uint(4))))  // BINSTRING
            case 0x43: stack.append(.bytes(try take(try uint(1))))  // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(try take(try uint(4))))  // BINBYTES
            case 0x8E: stack.append(.bytes(try take(try uint(8))))  // BINBYTES8
            case 0x96: stack.append(.bytes(try take(try uint(8))))  // BYTEARRAY8
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
            case 0x86:
                let b = try pop()
                let a = try pop()
                stack.append(.tuple([a, b]))  // TUPLE2
            case 0x87:
                let c = try pop()
                let b = try pop()
                let a = try pop()
                stack.append(.tuple([a, b, c]))  // TUPLE3
            case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
            case 0x6C:
                let l = PickleList()
                l.items = try popMark()
                stack.append(.list(l))  // LIST
            case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case 0x64:  // DICT
                let items = try popMark()
                let d = PickleDict()
                for i in stride(from: 0, to: items.count - 1, by: 2) { d.entries.append((items[i], items[i + 1])) }
                stack.append(.dict(d))
            case 0x61:  // APPEND
                let v = try pop()
                guard case .list(let l) = stack.last else { throw Failure(reason: "APPEND to a non-list") }
                l.items.append(v)
            case 0x65:  // APPENDS
                let items = try popMark()
                guard case .list(let l) = stack.last else { throw Failure(reason: "APPENDS to a non-list") }
                l.items += items
            case 0x73:  // SETITEM
                let v = try pop()
                let k = try pop()
                guard case .dict(let d) = stack.last else { throw Failure(reason: "SETITEM on a non-dict") }
                d.entries.append((k, v))
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard case .dict(let d) = stack.last else { throw Failure(reason: "SETITEMS on a non-dict") }
                for i in stride(from: 0, to: items.count - 1, by: 2) { d.entries.append((items[i], items[i + 1])) }
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line()
                let name = try line()
                stack.append(.global(module: module, name: name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                stack.append(.global(module: module.string ?? "", name: name.string ?? ""))
            case 0x52:  // REDUCE
                let args = try pop()
                let callable = try pop()
                // An OrderedDict is filled by SETITEMS afterwards: make it a dict now.
                if case .global(let module, let name) = callable, module == "collections", name == "OrderedDict" {
                    stack.append(.dict(PickleDict()))
                } else {
                    stack.append(.call(callable, args.tuple ?? []))
                }
            case 0x81:  // NEWOBJ
                let args = try pop()
                let cls = try pop()
                stack.append(.call(cls, args.tuple ?? []))
            case 0x62:  // BUILD
                let state = try pop()
                let obj = try pop()
                stack.append(.build(obj, state))
            case 0x51: stack.append(.persistent(try pop()))  // BINPERSID
            case 0x71: memo[try uint(1)] = stack.last  // BINPUT
            case 0x72: memo[try uint(4)] = stack.last  // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let key = try uint(op == 0x68 ? 1 : 4)
                guard let v = memo[key] else { throw Failure(reason: "memo \(key) unset") }
                stack.append(v)
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32:  // DUP
                guard let top = stack.last else { throw Failure(reason: "DUP of empty stack") }
                stack.append(top)
            default:
                throw Failure(reason: String(format: "opcode 0x%02x at byte %d is not supported", op, position - 1))
            }
        }
    }
}
