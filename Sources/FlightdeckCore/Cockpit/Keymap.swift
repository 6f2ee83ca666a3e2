/// What a key does in the cockpit. Keymaps bind keys to these by name.
public enum KeyAction: String, Sendable, Equatable, CaseIterable {
    case quit, nextPane = "next_pane", previousPane = "previous_pane"
    case pane1 = "pane_1", pane2 = "pane_2", pane3 = "pane_3", pane4 = "pane_4", pane5 = "pane_5", pane6 = "pane_6", pane7 = "pane_7"
    case up, down, open, close, filter, redOnly = "red_only", help
    /// A screenful up or down, and the first or last row: of a list, or of a detail view.
    case pageUp = "page_up", pageDown = "page_down", first, last
    /// Opens the menu of what may be done to the selected row: vote, hold, mark, override.
    case act
}

/// A key as keymaps name it: a character, or a named key.
public enum Key: Sendable, Hashable, CustomStringConvertible {
    case character(Character)
    case tab, backTab, enter, escape, up, down, left, right, backspace, pageUp, pageDown, home, end

    public static let named: [String: Key] = [
        "tab": .tab, "shift-tab": .backTab, "enter": .enter, "esc": .escape, "up": .up, "down": .down,
        "left": .left, "right": .right, "backspace": .backspace, "space": .character(" "),
        "pgup": .pageUp, "pgdn": .pageDown, "home": .home, "end": .end,
    ]

    public static func parse(_ text: String) -> Key? {
        if let key = named[text] { return key }
        guard text.count == 1, let character = text.first, !character.isWhitespace,
              character.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7F }) else { return nil }
        return .character(character)
    }

    public var description: String {
        switch self {
        case .character(" "): "space"
        case .character(let character): String(character)
        case .tab: "tab"
        case .backTab: "shift-tab"
        case .enter: "enter"
        case .escape: "esc"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .backspace: "backspace"
        case .pageUp: "pgup"
        case .pageDown: "pgdn"
        case .home: "home"
        case .end: "end"
        }
    }
}

/// Keys bound to actions, each binding with the help text the help overlay and the key bar show.
public struct Keymap: Sendable, Equatable {
    public struct Binding: Sendable, Equatable {
        public var action: KeyAction
        public var keys: [Key]
        public var help: String
    }

    public var name: String
    /// In file order, which is the order help shows them.
    public var bindings: [Binding]

    public func action(for key: Key) -> KeyAction? {
        bindings.first { $0.keys.contains(key) }?.action
    }

    /// Reads a keymap file: `name`, then `bindings:` mapping each action to `{keys, help}`.
    /// Unknown actions and keys are errors naming the file, line and key.
    public static func load(text: String, file: String) -> Result<Keymap, PlanLoadError> {
        let document = YAMLDocument(file: file, text: text)
        guard let root = document.root, let map = root.mapping(keys: ["name", "bindings"]) else {
            return .failure(PlanLoadError(document.diagnostics))
        }
        let name = map.required("name")?.word()
        var bindings: [Binding] = []
        for (actionName, keyNode, value) in map.required("bindings")?.entries() ?? [] {
            guard let action = KeyAction(rawValue: actionName) else {
                let guess = closestMatch(to: actionName, among: KeyAction.allCases.map(\.rawValue)).map { "did you mean `\($0)`?" }
                keyNode.report("unknown action `\(actionName)`", hint: guess ?? "actions: \(KeyAction.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            guard let binding = value.mapping(keys: ["keys", "help"]) else { continue }
            let keys = binding.required("keys")?.list { keyValue -> Key? in
                guard let text = keyValue.scalarText() else { return nil }
                guard let key = Key.parse(text) else {
                    keyValue.report("`\(text)` is not a key", hint: "a printable character, or one of \(Key.named.keys.sorted().joined(separator: ", "))")
                    return nil
                }
                return key
            }
            let help = binding.required("help")?.word()
            if let keys, let help { bindings.append(Binding(action: action, keys: keys, help: help)) }
        }
        var seen: [Key: KeyAction] = [:]
        for binding in bindings {
            for key in binding.keys {
                if let other = seen[key], other != binding.action {
                    root.report("the key `\(key)` is bound to both \(other.rawValue) and \(binding.action.rawValue)")
                }
                seen[key] = binding.action
            }
        }
        guard let name, document.diagnostics.isEmpty else { return .failure(PlanLoadError(document.diagnostics)) }
        return .success(Keymap(name: name, bindings: bindings))
    }
}
