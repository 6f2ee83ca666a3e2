/// An XML element as read from a hostile source (an AWS answer, a test runner's JUnit
/// report): its local name, attributes and children, and its own text.
///
/// The reader takes the XML these sources write (elements, attributes, character and the
/// five predefined entity references, CDATA, comments, processing instructions) and refuses
/// a document type declaration outright, so no entity can expand into anything.
public struct XMLElement: Sendable, Equatable {
    /// The name without its namespace prefix: `testsuite`, `DBInstance`.
    public var name: String
    public var attributes: [String: String]
    public var children: [XMLElement]
    /// The text directly inside the element (not its children's), entities decoded.
    public var text: String

    public init(name: String, attributes: [String: String] = [:], children: [XMLElement] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The element's own text without the space around it.
    public var trimmedText: String { text.trimmingXMLSpace() }

    /// The first child named `name`.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`.
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The element at a path of child names (`DescribeDBInstancesResult/DBInstances`).
    public func element(at path: String) -> XMLElement? {
        var current = self
        for step in path.split(separator: "/") {
            guard let next = current.child(String(step)) else { return nil }
            current = next
        }
        return current
    }

    /// The trimmed text of the element at `path`; nil when it is absent.
    public func value(_ path: String) -> String? {
        element(at: path).map { $0.text.trimmingXMLSpace() }
    }

    /// Every element below this one named `name`, in document order, at any depth.
    public func descendants(_ name: String) -> [XMLElement] {
        var found: [XMLElement] = []
        var stack = Array(children.reversed())
        while let next = stack.popLast() {
            if next.name == name { found.append(next) }
            stack.append(contentsOf: next.children.reversed())
        }
        return found
    }

    /// Reads a whole document; the error says where and what is wrong, in one line.
    public static func parse(_ bytes: some Collection<UInt8>) -> Result<XMLElement, XMLError> {
        var reader = XMLReader(Array(bytes))
        do { return .success(try reader.document()) } catch let error as XMLError { return .failure(error) } catch {
            return .failure(XMLError(message: "unreadable XML", offset: 0))
        }
    }
}

/// Why a document is not XML Flightdeck reads, and the byte offset where that became clear.
public struct XMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) (at byte \(offset))" }
}

extension String {
    func trimmingXMLSpace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

private struct XMLReader {
    let bytes: [UInt8]
    var position = 0
    static let maximumDepth = 256

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    func fail(_ message: String) -> XMLError { XMLError(message: message, offset: position) }

    var atEnd: Bool { position >= bytes.count }

    func peek(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        return text.withUTF8Buffer { bytes[position..<position + count].elementsEqual($0) }
    }

    mutating func skipSpace() {
        while !atEnd {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Moves past the next `terminator`, returning what came before it.
    mutating func take(until terminator: StaticString, what: String) throws -> ArraySlice<UInt8> {
        let count = terminator.utf8CodeUnitCount
        let first = terminator.withUTF8Buffer { $0[0] }
        let start = position
        while bytes.count - position >= count {
            if bytes[position] == first, peek(terminator) {
                defer { position += count }
                return bytes[start..<position]
            }
            position += 1
        }
        position = start
        throw fail("\(what) is never closed")
    }

    /// Comments, processing instructions and space between elements.
    mutating func skipMisc() throws {
        while true {
            skipSpace()
            if peek("<!--") {
                position += 4
                _ = try take(until: "-->", what: "a comment")
            } else if peek("<?") {
                position += 2
                _ = try take(until: "?>", what: "a processing instruction")
            } else if peek("<!DOCTYPE") || peek("<!doctype") {
                throw fail("a document type declaration is refused (it could define entities)")
            } else {
                return
            }
        }
    }

    mutating func document() throws -> XMLElement {
        try skipMisc()
        guard peek("<") else { throw fail(atEnd ? "the document is empty" : "the document does not start with an element") }
        let root = try element(depth: 0)
        try skipMisc()
        guard atEnd else { throw fail("there is more after the root element") }
        return root
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"), 0x80...0xFF: true
        default: false
        }
    }

    /// Moves past a name, returning where it lies.
    mutating func nameRange() throws -> Range<Int> {
        let start = position
        while !atEnd, Self.isNameByte(bytes[position]) { position += 1 }
        guard position > start else { throw fail("a name is missing") }
        return start..<position
    }

    mutating func name() throws -> String {
        let range = try nameRange()
        return String(decoding: bytes[range], as: UTF8.self)
    }

    static func localName(_ name: String) -> String {
        name.lastIndex(of: ":").map { String(name[name.index(after: $0)...]) } ?? name
    }

    mutating func element(depth: Int) throws -> XMLElement {
        guard depth < Self.maximumDepth else { throw fail("elements are nested more than \(Self.maximumDepth) deep") }
        position += 1
        let qualifiedRange = try nameRange()
        let qualified = String(decoding: bytes[qualifiedRange], as: UTF8.self)
        var element = XMLElement(name: Self.localName(qualified))
        while true {
            skipSpace()
            guard !atEnd else { throw fail("the tag <\(qualified)> is never closed") }
            if peek("/>") {
                position += 2
                return element
            }
            if peek(">") {
                position += 1
                break
            }
            let attribute = try name()
            skipSpace()
            guard peek("=") else { throw fail("the attribute \(attribute) has no value") }
            position += 1
            skipSpace()
            guard !atEnd, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
                throw fail("the value of \(attribute) is not quoted")
            }
            let quote = bytes[position]
            position += 1
            let start = position
            while !atEnd, bytes[position] != quote { position += 1 }
            guard !atEnd else { throw fail("the value of \(attribute) is never closed") }
            let raw = bytes[start..<position]
            position += 1
            element.attributes[Self.localName(attribute)] = try decode(raw)
        }
        var text = ""
        while true {
            guard !atEnd else { throw fail("<\(qualified)> is never closed") }
            if peek("</") {
                position += 2
                let closing = try nameRange()
                guard bytes[closing].elementsEqual(bytes[qualifiedRange]) else {
                    throw fail("</\(String(decoding: bytes[closing], as: UTF8.self))> closes <\(qualified)>")
                }
                skipSpace()
                guard peek(">") else { throw fail("</\(qualified) is not closed with >") }
                position += 1
                element.text = text
                return element
            } else if peek("<![CDATA[") {
                position += 9
                text += String(decoding: try take(until: "]]>", what: "a CDATA section"), as: UTF8.self)
            } else if peek("<!--") || peek("<?") || peek("<!") {
                if peek("<!") && !peek("<!--") { throw fail("a declaration inside an element is refused") }
                try skipMisc()
            } else if peek("<") {
                element.children.append(try self.element(depth: depth + 1))
            } else {
                let start = position
                var blank = true
                while !atEnd, bytes[position] != UInt8(ascii: "<") {
                    switch bytes[position] {
                    case 0x20, 0x09, 0x0A, 0x0D: break
                    default: blank = false
                    }
                    position += 1
                }
                // The indentation between elements is nobody's text.
                if !blank { text += try decode(bytes[start..<position]) }
            }
        }
    }

    /// Replaces entity and character references; an unknown entity is an error.
    func decode(_ raw: ArraySlice<UInt8>) throws -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var result = String.UnicodeScalarView()
        let text = String(decoding: raw, as: UTF8.self)
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "&" else {
                result.append(contentsOf: character.unicodeScalars)
                index = text.index(after: index)
                continue
            }
            guard let end = text[index...].firstIndex(of: ";"), text.distance(from: index, to: end) <= 12 else {
                throw fail("a bare & in text")
            }
            let entity = text[text.index(after: index)..<end]
            switch entity {
            case "lt": result.append("<")
            case "gt": result.append(">")
            case "amp": result.append("&")
            case "quot": result.append("\"")
            case "apos": result.append("'")
            default:
                let number: UInt32? = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                guard let number, let scalar = Unicode.Scalar(number) else { throw fail("the entity &\(entity); is not one XML defines") }
                result.append(scalar)
            }
            index = text.index(after: end)
        }
        return String(result)
    }
}
