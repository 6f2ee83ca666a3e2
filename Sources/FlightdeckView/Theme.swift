import FlightdeckCore

/// Colours and attributes by semantic role, with a glyph for each status so no state is
/// told by colour alone.
public struct Theme: Sendable, Equatable {
    public enum Attribute: String, Sendable, Equatable, CaseIterable {
        case normal, bold, dim, reverse, underline
    }

    public struct Style: Sendable, Equatable {
        /// `#RRGGBB` for true colour and 256-colour terminals.
        public var foreground: RGB?
        public var background: RGB?
        /// One of the 16 ANSI colour names, for 16-colour terminals.
        public var foreground16: String?
        public var background16: String?
        /// One of the first 8, for 8-colour terminals (TERM=screen, a Linux console): chosen
        /// per role, since the bright half of the 16 does not exist there.
        public var foreground8: String?
        public var background8: String?
        /// What stands in for colour on a monochrome terminal (and with NO_COLOR).
        public var mono: [Attribute]
        /// Attributes in every depth.
        public var attributes: [Attribute]
        public var glyph: String?
    }

    public struct RGB: Sendable, Equatable, Hashable {
        public var red: UInt8, green: UInt8, blue: UInt8

        static func parse(_ text: String) -> RGB? {
            guard text.count == 7, text.hasPrefix("#"), let value = UInt32(text.dropFirst(), radix: 16) else { return nil }
            return RGB(red: UInt8(value >> 16), green: UInt8((value >> 8) & 0xFF), blue: UInt8(value & 0xFF))
        }
    }

    public static let colourNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
                                     "bright-black", "bright-red", "bright-green", "bright-yellow", "bright-blue",
                                     "bright-magenta", "bright-cyan", "bright-white"]

    public var name: String
    /// Every role's style: a loaded theme has them all.
    public var styles: [ThemeRole: Style]

    public func style(_ role: ThemeRole) -> Style {
        styles[role] ?? Style(foreground: nil, background: nil, foreground16: nil, background16: nil, foreground8: nil, background8: nil,
                              mono: [], attributes: [], glyph: nil)
    }

    /// The glyph a status shows beside its word.
    public func glyph(_ status: CheckStatus) -> String {
        style(.status(status)).glyph ?? StatusGlyphs()[status]
    }

    /// Every status's glyph, for the rows the cockpit state builds.
    public var glyphs: StatusGlyphs {
        var glyphs = StatusGlyphs()
        glyphs.pass = glyph(.pass)
        glyphs.warn = glyph(.warn)
        glyphs.fail = glyph(.fail)
        glyphs.unknown = glyph(.unknown)
        return glyphs
    }

    /// Reads a theme file: `name`, then `roles:` mapping every role to its style. Every role
    /// must be given; unknown roles, colours and attributes are errors naming file and line.
    public static func load(text: String, file: String) -> Result<Theme, PlanLoadError> {
        let document = YAMLDocument(file: file, text: text)
        guard let root = document.root, let map = root.mapping(keys: ["name", "roles"]) else {
            return .failure(PlanLoadError(document.diagnostics))
        }
        let name = map.required("name")?.word()
        var styles: [ThemeRole: Style] = [:]
        if let rolesNode = map.required("roles") {
            let names = ThemeRole.allCases.map(\.rawValue)
            for (name, keyNode, value) in rolesNode.entries() ?? [] {
                guard let role = ThemeRole(rawValue: name) else {
                    let guess = closestMatch(to: name, among: names).map { "did you mean `\($0)`?" }
                    keyNode.report("unknown role `\(name)`", hint: guess ?? "roles: \(names.joined(separator: ", "))")
                    continue
                }
                if let style = style(value) { styles[role] = style }
            }
            for role in ThemeRole.allCases where styles[role] == nil && !(document.diagnostics.contains { $0.message.contains("`\(role.rawValue)`") }) {
                rolesNode.report("missing role `\(role.rawValue)`")
            }
        }
        guard let name, document.diagnostics.isEmpty else { return .failure(PlanLoadError(document.diagnostics)) }
        return .success(Theme(name: name, styles: styles))
    }

    private static func style(_ node: YAMLNode) -> Style? {
        guard let map = node.mapping(keys: ["fg", "bg", "fg16", "bg16", "fg8", "bg8", "mono", "attributes", "glyph"]) else { return nil }
        func colour(_ key: String) -> RGB? {
            guard let value = map[key], let text = value.string() else { return nil }
            guard let rgb = RGB.parse(text) else {
                value.report("`\(text)` is not a colour", hint: "write #RRGGBB")
                return nil
            }
            return rgb
        }
        func named(_ key: String, among names: ArraySlice<String>) -> String? {
            guard let value = map[key], let text = value.string() else { return nil }
            guard names.contains(text) else {
                value.report("`\(text)` is not one of the \(names.count) colours", hint: names.joined(separator: ", "))
                return nil
            }
            return text
        }
        func attributes(_ key: String) -> [Attribute] {
            map[key]?.list { item -> Attribute? in item.choice(Attribute.self, named: "attribute") } ?? []
        }
        return Style(foreground: colour("fg"), background: colour("bg"),
                     foreground16: named("fg16", among: colourNames[...]), background16: named("bg16", among: colourNames[...]),
                     foreground8: named("fg8", among: colourNames.prefix(8)), background8: named("bg8", among: colourNames.prefix(8)),
                     mono: attributes("mono"), attributes: attributes("attributes"), glyph: map["glyph"]?.string())
    }
}

/// A role's style as a terminal of some colour depth shows it: palette indices (the xterm
/// 256-colour cube, or the 16 ANSI colours) and attributes. The terminal backend sets these;
/// tests read them to see what a person sees.
public struct TerminalStyle: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// nil: the terminal's own default colour.
    public var foreground: Int16?
    public var background: Int16?
    public var attributes: [Theme.Attribute]

    public var description: String {
        var parts = [foreground.map { "fg \($0)" }, background.map { "bg \($0)" }].compactMap { $0 }
        parts += attributes.filter { $0 != .normal }.map(\.rawValue)
        return parts.isEmpty ? "plain" : parts.joined(separator: " ")
    }
}

extension Theme {
    /// How `role` shows at `depth`. Where the style gives no colour at that depth (every
    /// role of a monochrome theme, and every role without colour), its mono attributes stand
    /// in for colour, so a selection or a FAIL never looks like plain text.
    public func terminalStyle(_ role: ThemeRole, depth: ColourDepth) -> TerminalStyle {
        let style = style(role)
        var foreground: Int16?
        var background: Int16?
        switch depth {
        case .none:
            break
        case .colours8:
            foreground = Self.index(style.foreground8)
            background = Self.index(style.background8)
        case .colours16:
            foreground = Self.index(style.foreground16)
            background = Self.index(style.background16)
        case .colours256, .trueColour:
            foreground = style.foreground.map(Self.xterm256)
            background = style.background.map(Self.xterm256)
        }
        var attributes = style.attributes
        if foreground == nil, background == nil {
            attributes += style.mono.filter { !attributes.contains($0) }
        }
        return TerminalStyle(foreground: foreground, background: background, attributes: attributes)
    }

    private static func index(_ name: String?) -> Int16? {
        name.flatMap { colourNames.firstIndex(of: $0) }.map { Int16($0) }
    }

    /// The nearest colour of the xterm 256-colour cube (or grey ramp).
    static func xterm256(_ rgb: RGB) -> Int16 {
        func level(_ value: UInt8) -> Int { value < 48 ? 0 : value < 115 ? 1 : Int((Int(value) - 35) / 40) }
        let (r, g, b) = (level(rgb.red), level(rgb.green), level(rgb.blue))
        let cube = 16 + 36 * r + 6 * g + b
        if rgb.red == rgb.green, rgb.green == rgb.blue, rgb.red > 8, rgb.red < 238 {
            return Int16(232 + (Int(rgb.red) - 8) / 10)
        }
        return Int16(cube)
    }
}

/// How many colours the terminal shows, from the environment and terminfo.
public enum ColourDepth: String, Sendable, Equatable, CaseIterable {
    case trueColour = "truecolour", colours256 = "256", colours16 = "16", colours8 = "8", none

    /// NO_COLOR (present and non-empty) wins; then COLORTERM; then what terminfo says.
    public static func detect(environment: [String: String], terminfoColours: Int) -> ColourDepth {
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return .none }
        if let term = environment["COLORTERM"]?.lowercased(), term == "truecolor" || term == "24bit" { return .trueColour }
        if terminfoColours >= 256 { return .colours256 }
        if terminfoColours >= 16 { return .colours16 }
        if terminfoColours >= 8 { return .colours8 }
        return .none
    }
}
