import Foundation

/// The `windows` section: when some checks and alarm sources are expected to be red.
extension PlanReading {
    static let windowKeys = ["id", "name", "checks", "sources", "from", "until", "opens_when_done", "closes_when_done", "during"]

    mutating func noiseWindow(_ node: YAMLNode, timeZone: TimeZone) -> NoiseWindow? {
        guard let map = node.mapping(keys: Self.windowKeys) else { return nil }
        let id = declare(map.required("id"), in: .window)
        let name = map["name"]?.word()
        let checks = map["checks"]?.list { reference($0, to: .check) } ?? []
        let sources = map["sources"]?.list { reference($0, to: .alarmSource) } ?? []
        if map["checks"] == nil, map["sources"] == nil {
            node.report("a window expects some checks or alarm sources to be red", hint: "list them under `checks` or `sources`")
        }
        let byTime = map["from"] != nil || map["until"] != nil
        let byChecklist = map["opens_when_done"] != nil || map["closes_when_done"] != nil
        let byHold = map["during"] != nil
        guard [byTime, byChecklist, byHold].filter({ $0 }).count == 1 else {
            node.report([byTime, byChecklist, byHold].contains(true) ? "a window opens one way only" : "when does this window stand?",
                        hint: "`from` and `until` (times), `opens_when_done` (and `closes_when_done`: checklist items), or `during: hold`")
            return nil
        }
        let opening: NoiseWindow.Opening?
        if byTime {
            let from = map.required("from").flatMap { launchTime($0, in: timeZone) }
            let until = map.required("until").flatMap { launchTime($0, in: timeZone) }
            if let from, let until, until <= from { map["until"]?.report("the window closes before it opens") }
            opening = from.flatMap { from in until.flatMap { $0 > from ? .time(from: from, until: $0) : nil } }
        } else if byChecklist {
            let opens = reference(map.required("opens_when_done"), to: .checklistItem)
            let closes = map["closes_when_done"].flatMap { reference($0, to: .checklistItem) }
            opening = opens.map { .checklist(opens: $0, closes: closes) }
        } else {
            opening = map["during"].flatMap { node -> NoiseWindow.Opening? in
                guard let word = node.word() else { return nil }
                guard word == "hold" else {
                    node.report("`\(word)` is not something a window stands during", hint: "during: hold")
                    return nil
                }
                return .hold
            }
        }
        guard let id, let opening, !checks.isEmpty || !sources.isEmpty else { return nil }
        return NoiseWindow(id: id, name: name, checks: checks, sources: sources, opening: opening)
    }
}
