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

/// A list box: filled by APPEND(S) until it is nested in another value (then `sealed`).
public final class PickleList {
    public internal(set) var items: [PickleValue] = []
    var sealed = false
    var depth = 1
}

/// A dict box: filled by SETITEM(S) until it is nested in another value (then `sealed`).
public final class PickleDict {
    public internal(set) var entries: [(PickleValue, PickleValue)] = []
    var sealed = false
    var depth = 1
}

/// The subset of the pickle protocol (0–5 binary opcodes) that NumPy's
/// object arrays (cls_labels.npy) and PyTorch state dicts (.pth data.pkl)
/// use. It never executes anything: globals and calls come back as data.
///
/// The values form a tree of bounded depth: a list or dict is sealed once it
/// is nested in another value, and a sealed one cannot change, so no value
/// contains itself (a cycle of boxes would leak); values nest at most
/// `maxDepth` deep (releasing a deeper one would recurse past the stack). A
/// pickle that breaks either rule is an error; Python writes neither for a
/// state dict or an array of labels.
public struct PickleReader {
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "unreadable pickle: \(reason)" }
    }

    /// How deep values may nest (a state dict nests about 6 deep, cls_labels.npy about 8).
    public static let maxDepth = 200

    /// A value and how deep it nests (for a list or dict: its box's depth, which grows while it is filled).
    struct Slot {
        var value: PickleValue
        var depth: Int
        var currentDepth: Int {
            switch value {
            case .list(let l): return l.depth
            case .dict(let d): return d.depth
            default: return depth
            }
        }
    }

    var input: ByteReader
    var stack: [Slot] = []
    var marks: [Int] = []
    var memo: [Int: Slot] = [:]

    public init(_ bytes: [UInt8]) { input = ByteReader(bytes) }

    public static func parse(_ bytes: [UInt8]) throws -> PickleValue {
        var reader = PickleReader(bytes)
        do { return try reader.run() } catch let error as ByteReader.Failure {
            throw Failure(reason: error.description)
        }
    }

    /// One pickle starting at `offset` of `bytes` (files that hold several in a
    /// row, as PyTorch's legacy format); returns it and the offset just after its STOP.
    public static func parse(_ bytes: [UInt8], from offset: Int) throws -> (value: PickleValue, end: Int) {
        var reader = PickleReader(bytes)
        do {
            try reader.input.seek(to: offset, "the pickle")
            let value = try reader.run()
            return (value, reader.position)
        } catch let error as ByteReader.Failure {
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

    mutating func pop() throws -> Slot {
        guard let v = stack.popLast() else { throw Failure(reason: "stack underflow at byte \(position)") }
        return v
    }

    mutating func popMark() throws -> [Slot] {
        guard let mark = marks.popLast(), mark <= stack.count else {
            throw Failure(reason: "MARK missing at byte \(position)")
        }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func push(_ value: PickleValue, depth: Int = 1) { stack.append(Slot(value: value, depth: depth)) }

    /// The values of `slots`, about to be nested in another value: their lists and dicts are sealed.
    func nest(_ slots: [Slot]) -> [PickleValue] {
        for slot in slots {
            switch slot.value {
            case .list(let l): l.sealed = true
            case .dict(let d): d.sealed = true
            default: break
            }
        }
        return slots.map(\.value)
    }

    /// The depth of a value holding `slots`, refused past `maxDepth`.
    func depth(holding slots: [Slot]) throws -> Int {
        let depth = 1 + (slots.map(\.currentDepth).max() ?? 0)
        guard depth <= Self.maxDepth else {
            throw Failure(reason: "values nest deeper than \(Self.maxDepth) at byte \(position)")
        }
        return depth
    }

    /// Pushes a value made of `parts` (tuple, call, build, persistent id), nesting them.
    mutating func pushComposite(_ parts: [Slot], _ make: ([PickleValue]) -> PickleValue) throws {
        let depth = try depth(holding: parts)
        push(make(nest(parts)), depth: depth)
    }

    /// The list on top of the stack, still open for APPEND(S): not nested anywhere yet.
    func openList(_ op: String, adding items: [Slot]) throws -> PickleList {
        _ = nest(items)  // first: a list appended to itself is sealed by now, and refused below
        guard case .list(let l)? = stack.last?.value else { throw Failure(reason: "\(op) to a non-list") }
        guard !l.sealed else { throw Failure(reason: "\(op) to a list nested in another value at byte \(position)") }
        let depth = try depth(holding: items)
        l.depth = max(l.depth, depth)
        return l
    }

    /// The dict on top of the stack, still open for SETITEM(S): not nested anywhere yet.
    func openDict(_ op: String, adding items: [Slot]) throws -> PickleDict {
        _ = nest(items)
        guard case .dict(let d)? = stack.last?.value else { throw Failure(reason: "\(op) on a non-dict") }
        guard !d.sealed else { throw Failure(reason: "\(op) on a dict nested in another value at byte \(position)") }
        let depth = try depth(holding: items)
        d.depth = max(d.depth, depth)
        return d
    }

    mutating func run() throws -> PickleValue {
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E: return try pop().value  // STOP
            case 0x28: marks.append(stack.count)  // MARK
            case 0x4E: push(.none)  // NONE
            case 0x88: push(.bool(true))  // NEWTRUE
            case 0x89: push(.bool(false))  // NEWFALSE
            case 0x4A: push(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
            case 0x4B: push(.int(try uint(1)))  // BININT1
            case 0x4D: push(.int(try uint(2)))  // BININT2
            case 0x8A:  // LONG1
                let n = Int(try byte())
                let b = try take(n)
                var v = 0
                for (i, x) in b.enumerated() where i < 8 { v |= Int(x) << (8 * i) }
                if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 { v -= 1 << (8 * n) }
                push(.int(v))
            case 0x47:  // BINFLOAT (big-endian)
                let b = try take(8)
                push(.float(Double(bitPattern: b.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) })))
            case 0x58: push(.string(try text(uint(4))))  // BINUNICODE
            case 0x8C: push(.string(try text(uint(1))))  // SHORT_BINUNICODE
            case 0x8D: push(.string(try text(uint(8))))  // BINUNICODE8
            case 0x55: push(.string(try text(uint(1))))  // SHORT_BINSTRING
            case 0x54: push(.string(try text(uint(4))))  // BINSTRING
            case 0x43: push(.bytes(try take(try uint(1))))  // SHORT_BINBYTES
            case 0x42: push(.bytes(try take(try uint(4))))  // BINBYTES
            case 0x8E: push(.bytes(try take(try uint(8))))  // BINBYTES8
            case 0x96: push(.bytes(try take(try uint(8))))  // BYTEARRAY8
            case 0x29: push(.tuple([]))  // EMPTY_TUPLE
            case 0x74: try pushComposite(try popMark()) { .tuple($0) }  // TUPLE
            case 0x85: try pushComposite([try pop()]) { .tuple($0) }  // TUPLE1
            case 0x86:  // TUPLE2
                let b = try pop()
                let a = try pop()
                try pushComposite([a, b]) { .tuple($0) }
            case 0x87:  // TUPLE3
                let c = try pop()
                let b = try pop()
                let a = try pop()
                try pushComposite([a, b, c]) { .tuple($0) }
            case 0x5D: push(.list(PickleList()))  // EMPTY_LIST
            case 0x6C:  // LIST
                let items = try popMark()
                let l = PickleList()
                l.depth = try depth(holding: items)
                l.items = nest(items)
                push(.list(l))
            case 0x7D: push(.dict(PickleDict()))  // EMPTY_DICT
            case 0x64:  // DICT
                let items = try popMark()
                let d = PickleDict()
                d.depth = try depth(holding: items)
                let values = nest(items)
                for i in stride(from: 0, to: values.count - 1, by: 2) { d.entries.append((values[i], values[i + 1])) }
                push(.dict(d))
            case 0x61:  // APPEND
                let v = try pop()
                try openList("APPEND", adding: [v]).items.append(v.value)
            case 0x65:  // APPENDS
                let items = try popMark()
                try openList("APPENDS", adding: items).items += items.map(\.value)
            case 0x73:  // SETITEM
                let v = try pop()
                let k = try pop()
                try openDict("SETITEM", adding: [k, v]).entries.append((k.value, v.value))
            case 0x75:  // SETITEMS
                let items = try popMark()
                let d = try openDict("SETITEMS", adding: items)
                for i in stride(from: 0, to: items.count - 1, by: 2) {
                    d.entries.append((items[i].value, items[i + 1].value))
                }
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line()
                let name = try line()
                push(.global(module: module, name: name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop().value
                let module = try pop().value
                push(.global(module: module.string ?? "", name: name.string ?? ""))
            case 0x52:  // REDUCE
                let args = try pop()
                let callable = try pop()
                // An OrderedDict is filled by SETITEMS afterwards: make it a dict now.
                if case .global(let module, let name) = callable.value, module == "collections", name == "OrderedDict" {
                    push(.dict(PickleDict()))
                } else {
                    try pushComposite([callable, args]) { .call($0[0], $0[1].tuple ?? []) }
                }
            case 0x81:  // NEWOBJ
                let args = try pop()
                let cls = try pop()
                try pushComposite([cls, args]) { .call($0[0], $0[1].tuple ?? []) }
            case 0x62:  // BUILD
                let state = try pop()
                let obj = try pop()
                try pushComposite([obj, state]) { .build($0[0], $0[1]) }
            case 0x51: try pushComposite([try pop()]) { .persistent($0[0]) }  // BINPERSID
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
