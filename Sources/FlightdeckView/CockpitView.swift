import FlightdeckCore
import Foundation

/// Draws the cockpit into a grid: the launch bar, the panes (one with a tab row below 160
/// columns, two side by side from 160), and the key bar; help and detail overlays on top.
public struct CockpitView: Sendable {
    public let theme: Theme
    public let keymap: Keymap
    /// What the help overlay says besides the keys: the plan's file, how to reach the launch
    /// from another terminal.
    public let notes: [String]

    public init(theme: Theme, keymap: Keymap, notes: [String] = []) {
        self.theme = theme
        self.keymap = keymap
        self.notes = notes
    }

    public func render(_ state: CockpitState, width: Int, height: Int) -> Grid {
        var grid = Grid(width: width, height: height)
        guard width >= 20, height >= 6 else {
            grid.write("window too small", x: 0, y: 0)
            return grid
        }
        let reports = state.board.reports
        let verdict = CheckVerdict(reports: reports, alarms: state.alarms.standing)
        drawLaunchBar(state, reports: reports, verdict: verdict, into: &grid)
        drawTabs(state, into: &grid, y: 2)
        let body = Rect(x: 0, y: 3, width: width, height: height - 4)
        let areas = CockpitLayout(width: width, height: height).paneAreas(focus: state.focus)
        for area in areas {
            drawPane(area.pane, state: state, reports: reports, focused: area.pane == state.focus, marked: areas.count > 1, into: &grid,
                     area: Rect(x: body.x + area.x, y: body.y + area.y, width: area.width, height: area.height))
        }
        drawKeyBar(state, into: &grid)
        if state.showingDetail { drawDetail(state, reports: reports, into: &grid, area: body) }
        if state.showingHelp { drawHelp(state, verdict: verdict, into: &grid, area: body) }
        if let prompt = state.prompt { drawPrompt(prompt, into: &grid, area: body) }
        return grid
    }

    // MARK: Launch bar

    private func drawLaunchBar(_ state: CockpitState, reports: [CheckReport], verdict: CheckVerdict, into grid: inout Grid) {
        let width = grid.width
        grid.fill(Rect(x: 0, y: 0, width: width, height: 2), role: .bar)
        let reds = reports.filter { $0.status == .fail }.count
        let tMinus = state.launch?.tMinus(at: state.now) ?? state.plan.t0.timeIntervalSince(state.now)
        let clock = " \(LaunchState.clock(tMinus)) "
        var phase: (text: String, role: ThemeRole)?
        if let launch = state.launch, state.plan.hasPoll {
            let phaseStatus: CheckStatus = switch launch.phase {
            case .go, .countdown, .launched: .pass
            case .hold, .scrubbed: .fail
            case .readiness, .pollOpen: .unknown
            }
            phase = (" \(launch.phaseName) ", .status(phaseStatus))
        }
        // Nothing is known to be wrong yet: say so, rather than NO-GO with nothing red.
        let firstPoll = state.board.health.values.allSatisfy { $0.latest == nil }
        let (status, word): (CheckStatus, String) = switch verdict.decision {
        case .go: (.pass, "GO")
        case .undecided: (.unknown, "unknown\(firstPoll ? " (first poll)" : "")")
        case .noGo: (.fail, "NO-GO")
        }
        let verdictText = " \(state.glyphs[status]) checks \(word) "
        let unknown = reports.filter { $0.status == .unknown }.count
        let count: (text: String, role: ThemeRole) = verdict.decision == .undecided && reds == 0
            ? (" unknown: \(unknown) ", .bar) : (" red: \(reds) ", reds > 0 ? .statusFail : .bar)
        // The T-minus and the verdict always show; the count, the phase and the plan's name
        // give way, in that order, to keep them.
        var room = width - ScreenText.width(clock) - ScreenText.width(verdictText)
        let showCount = room >= ScreenText.width(count.text) + 1
        if showCount { room -= ScreenText.width(count.text) + 1 }
        let showPhase = phase.map { room >= ScreenText.width($0.text) + 1 } ?? false
        if showPhase, let phase { room -= ScreenText.width(phase.text) + 1 }
        let name = " \(state.plan.name) "
        var x = room >= 6 ? grid.write(ScreenText.fit(name, width: room), x: 0, y: 0, role: .bar) : 0
        x = grid.write(clock, x: x, y: 0, role: .bar)
        if showPhase, let phase { x = grid.write(phase.text, x: x, y: 0, role: phase.role) + 1 }
        x = grid.write(verdictText, x: x, y: 0, role: .status(status))
        if showCount { grid.write(count.text, x: x + 1, y: 0, role: count.role) }

        x = grid.write(" \(Self.clockLine(t0: state.plan.t0, zone: state.plan.timeZone, now: state.now)) ", x: 0, y: 1, role: .bar)
        // Standing alarms come before the reason, so they show even at 80 columns. An
        // acknowledged or silenced critical alarm still counts: it is not resolved, and it
        // still blocks a blocker's GO.
        let standing = state.alarms.entries.filter { $0.resolvedAt == nil }
        let critical = standing.filter { $0.alarm.severity == .critical }
        if !standing.isEmpty {
            let acked = critical.filter { $0.state == .acknowledged }.count
            let silenced = critical.filter { $0.state == .silenced }.count
            let handled = [acked > 0 ? "\(acked) acked" : nil, silenced > 0 ? "\(silenced) silenced" : nil].compactMap { $0 }
            let counts = "\(critical.count) critical\(handled.isEmpty ? "" : " (\(handled.joined(separator: ", ")))"), \(standing.count - critical.count) other"
            x = grid.write(" alarms: \(counts) ", x: x, y: 1, role: critical.contains { $0.state == .firing } ? .statusFail : .statusWarn)
        }
        // Cut with …: the whole reason is in the help overlay, one key away.
        grid.write(ScreenText.fit("| \(Self.reason(state, verdict: verdict))", width: width - x), x: x, y: 1,
                   role: state.launch?.hold == nil && state.launchProblem == nil ? .bar : .statusFail)
    }

    /// Why the launch stands where it does: first that the shared state cannot be reached
    /// (what shows of it may be behind), then the hold's reason, or the checks'.
    static func reason(_ state: CockpitState, verdict: CheckVerdict) -> String {
        if let problem = state.launchProblem { return "LAUNCH STATE UNREACHABLE, nothing can be recorded: \(problem)" }
        guard let launch = state.launch, let hold = launch.hold else { return verdict.reason }
        return launch.holdExpired(at: state.now) ? "HOLD EXPIRED: resume or scrub (\(hold.reason))" : "on hold: \(hold.reason)"
    }

    static func clockLine(t0: Date, zone: TimeZone, now: Date) -> String {
        var line = "now \(timeOfDay(now)) UTC"
        if !["UTC", "GMT"].contains(zone.identifier) {
            line += " / \(timeOfDay(now, offset: zone.secondsFromGMT(for: now))) \(zone.identifier)"
        }
        return line
    }

    // MARK: Tabs and key bar

    private func drawTabs(_ state: CockpitState, into grid: inout Grid, y: Int) {
        var x = 0
        let full = Pane.allCases.enumerated().reduce(0) { $0 + ScreenText.width(" \($1.offset + 1) \($1.element.title) ") + 1 }
        for (index, pane) in Pane.allCases.enumerated() {
            let label = " \(index + 1) \(full <= grid.width ? pane.title : pane.shortTitle) "
            x = grid.write(label, x: x, y: y, role: pane == state.focus ? .tabFocused : .tab) + 1
        }
        if state.editingFilter || !state.filter.isEmpty {
            x = grid.write(" /\(state.filter)\(state.editingFilter ? "_" : "") ", x: x + 1, y: y, role: .selection)
        }
        if state.redOnly { grid.write(" only red ", x: x + 1, y: y, role: .statusFail) }
    }

    private func drawKeyBar(_ state: CockpitState, into grid: inout Grid) {
        let y = grid.height - 1
        grid.fill(Rect(x: 0, y: y, width: grid.width, height: 1), role: .keybar)
        var x = 0
        if let message = state.message, state.now.timeIntervalSince(message.at) < 15 {
            x = grid.write(" \(message.text) ", x: x, y: y, role: .selection) + 1
        }
        var shown: [KeyAction] = state.editingFilter ? [.open, .close] : [.quit, .nextPane, .up, .down, .open, .filter, .redOnly, .help]
        if !state.readOnly, !state.editingFilter, state.hasActions(state.focus) { shown.insert(.act, at: 1) }
        for binding in keymap.bindings where shown.contains(binding.action) {
            let keys = binding.keys.map(\.description).joined(separator: "/")
            let text = state.editingFilter && binding.action == .open ? "\(keys) keep filter"
                : state.editingFilter && binding.action == .close ? "\(keys) clear filter" : "\(keys) \(binding.help)"
            guard x + ScreenText.width(text) + 2 <= grid.width else { break }
            x = grid.write(" \(text) ", x: x, y: y, role: .keybar) + 1
        }
    }

    // MARK: Panes

    /// A pane's title and the rows on screen, from the row at the top of its cursor; the
    /// focused pane's selection highlighted.
    /// - Parameter marked: with several panes on screen, the focused one's title starts with ▶
    ///   (seen without colour too).
    private func drawPane(_ pane: Pane, state: CockpitState, reports: [CheckReport], focused: Bool, marked: Bool, into grid: inout Grid,
                          area: Rect) {
        let content = Rect(x: area.x + 1, y: area.y + 1, width: area.width - 2, height: area.height - 1)
        var cursor = state.cursor(pane)
        // Only the rows on screen need building in full (all of them under a filter).
        func rowsFrom(_ offset: Int) -> [PaneRow] {
            state.rows(pane, width: area.width, reports: reports, window: offset..<(offset + content.height))
        }
        var rows = rowsFrom(cursor.offset)
        // The reducer keeps the cursor in range; a size it has not been told of yet is
        // clamped here.
        let offset = cursor.offset
        cursor.clamp(count: rows.count, visible: content.height)
        if cursor.offset != offset { rows = rowsFrom(cursor.offset) }
        let items = rows.filter(\.isItem).count
        var title = "\(pane.title) (\(items))"
        if state.redOnly || !state.filter.isEmpty {
            // The filter and the red-only switch hold for every pane: each title says what they leave.
            let total = state.rows(pane, width: area.width, reports: reports, window: 0..<0, filtered: false).filter(\.isItem).count
            let narrowing = [state.redOnly ? "red" : nil, state.filter.isEmpty ? nil : "matching /\(state.filter)"].compactMap { $0 }
            title = "\(pane.title) (\(items) of \(total) \(narrowing.joined(separator: ", ")))"
        }
        if pane == .health || pane == .dns || pane == .certificates {
            title += " · every \(PlanDuration.format(state.plan.polling.interval)), up to \(state.plan.polling.concurrency) probes at once"
        }
        grid.write((marked && focused ? "▶ " : "") + title, x: area.x + 1, y: area.y, role: focused ? .paneFocused : .title, clip: area)
        if rows.isEmpty, state.redOnly || !state.filter.isEmpty {
            let hint = state.filter.isEmpty ? "nothing red here" : "nothing here matches /\(state.filter)"
            grid.write("\(hint) (esc shows everything)", x: content.x, y: content.y, role: .muted, clip: content)
        }
        for (offset, row) in rows.dropFirst(cursor.offset).prefix(content.height).enumerated() {
            let y = content.y + offset
            let isSelected = focused && cursor.offset + offset == cursor.selected
            if isSelected { grid.fill(Rect(x: content.x, y: y, width: content.width, height: 1), role: .selection) }
            var x = content.x
            for segment in row.segments {
                // A row wider than the pane ends in … where it is cut; enter shows it whole.
                let room = content.x + content.width - x
                let cut = ScreenText.width(segment.text) > room
                x = grid.write(cut ? ScreenText.fit(segment.text, width: room) : segment.text, x: x, y: y,
                               role: isSelected ? .selection : segment.role, clip: content)
                if cut { break }
            }
        }
    }

    // MARK: Overlays

    /// The selected row's evidence, wrapped to the screen and scrolled from the reducer's
    /// offset; the footer says where in it the view is.
    private func drawDetail(_ state: CockpitState, reports: [CheckReport], into grid: inout Grid, area: Rect) {
        let rows = state.rows(state.focus, reports: reports)
        guard !rows.isEmpty else { return }
        let row = rows[min(state.selectedRow, rows.count - 1)]
        // Overlays cover the whole body, so nothing of the pane beneath shows through.
        grid.fill(area, role: .text)
        let box = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
        grid.write(ScreenText.fit(row.text.trimmingCharacters(in: .whitespaces), width: box.width - 2), x: box.x + 1, y: box.y, role: .title, clip: box)
        let lines = row.detail.flatMap { ScreenText.wrap($0, width: box.width - 2) }
        let visible = max(1, box.height - 2)
        let first = max(0, min(state.detailOffset, lines.count - visible))
        // Runbook links are the plan's own, so they may be links on the terminal; nothing else is.
        let urls = Set(state.plan.runbooks.values.compactMap { $0.url?.absoluteString })
        for (offset, line) in lines.dropFirst(first).prefix(visible).enumerated() {
            let end = grid.write(line, x: box.x + 1, y: box.y + 1 + offset, role: .text, clip: box)
            for url in urls {
                guard let range = line.range(of: url) else { continue }
                let x = box.x + 1 + ScreenText.width(String(line[..<range.lowerBound]))
                if x + url.count <= end { grid.link(x: x, y: box.y + 1 + offset, width: url.count, url: url) }
            }
        }
        let footer = lines.count > visible
            ? "lines \(first + 1)-\(min(lines.count, first + visible)) of \(lines.count) · ↑↓ pgup pgdn home end scroll · esc closes"
            : "esc closes"
        grid.write(ScreenText.fit(footer, width: box.width - 2), x: box.x + 1, y: box.y + box.height - 1, role: .muted, clip: box)
    }

    /// The prompt in a box over the panes: the actions menu, a reason, an approver, a PIN
    /// (shown as dots), a confirmation.
    private func drawPrompt(_ prompt: CockpitPrompt, into grid: inout Grid, area: Rect) {
        var lines: [(String, ThemeRole)] = []
        var selected: Int?
        switch prompt {
        case .menu(let title, let options, let index):
            lines = [(title, .title)] + options.enumerated().map { ("\($0 + 1) \($1.label)", .text) } + [("↑↓ enter choose · esc cancel", .muted)]
            selected = index + 1
        case .reason(let action, let text):
            lines = [(action.label, .title), ("Reason: \(text)_", .text), ("enter send · esc cancel", .muted)]
        case .approver(let action, let names, let index):
            lines = [(action.label, .title), ("Who signs?", .text)] + names.map { ("  \($0)", .text) } + [("↑↓ enter choose · esc cancel", .muted)]
            selected = index + 2
        case .pin(let action, let approver, let entered):
            lines = [(action.label, .title)] + Self.reasonLine(action) + [("\(approver), enter your PIN: \(String(repeating: "•", count: entered.count))_", .text),
                     ("enter sign · esc cancel", .muted)]
        case .confirm(let action, let approver):
            lines = [(action.label, .title)] + Self.reasonLine(action) + [("as \(approver)? y to confirm, any other key cancels", .text)]
        }
        // A long menu scrolls: the title stays, the options show around the selected one.
        if lines.count + 2 > area.height, let chosen = selected {
            let room = max(1, area.height - 4)
            let first = min(max(1, chosen - room / 2), lines.count - 1 - room)
            lines = [lines[0]] + Array(lines[first..<(first + room)]) + [lines[lines.count - 1]]
            selected = chosen - first + 1
        }
        let width = min(area.width - 2, max(40, lines.map { ScreenText.width($0.0) }.max() ?? 0) + 4)
        let height = min(area.height, lines.count + 2)
        let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + max(0, (area.height - height) / 2), width: width, height: height)
        grid.fill(box, role: .selection)
        let inner = Rect(x: box.x + 2, y: box.y + 1, width: box.width - 4, height: box.height - 2)
        grid.fill(inner, role: .text)
        for (offset, line) in lines.prefix(inner.height).enumerated() {
            if offset == selected { grid.fill(Rect(x: inner.x, y: inner.y + offset, width: inner.width, height: 1), role: .selection) }
            grid.write(line.0, x: inner.x, y: inner.y + offset, role: offset == selected ? .selection : line.1, clip: inner)
        }
    }

    private static func reasonLine(_ action: LaunchAction) -> [(String, ThemeRole)] {
        guard let reason = action.reason, !reason.isEmpty else { return [] }
        return [("reason: \(reason)", .text)]
    }

    /// The keys (in two columns when one does not fit), then the whole reason the launch
    /// bar may have cut, the plan's file and the notes the cockpit was opened with.
    private func drawHelp(_ state: CockpitState, verdict: CheckVerdict, into grid: inout Grid, area: Rect) {
        grid.fill(area, role: .text)
        let box = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
        let why = Self.reason(state, verdict: verdict)
        var lines: [(String, ThemeRole)] = ScreenText.wrap("why: \(why)", width: box.width - 2).map { ($0, ThemeRole.text) }
        lines += notes.flatMap { ScreenText.wrap($0, width: box.width - 2) }.map { ($0, .muted) }
        let keysTop = 2
        let room = max(1, box.height - keysTop - lines.count - 1)
        let columns = keymap.bindings.count > room && box.width >= 70 ? 2 : 1
        let perColumn = (keymap.bindings.count + columns - 1) / columns
        grid.write("Keys (\(keymap.name))", x: box.x + 1, y: box.y, role: .title, clip: box)
        for (index, binding) in keymap.bindings.enumerated() {
            let column = index / perColumn
            let row = index % perColumn
            guard row < room else { continue }
            let keys = binding.keys.map(\.description).joined(separator: " ")
            let x = box.x + 1 + column * (box.width / columns)
            grid.write(keys.padded(to: 14) + binding.help, x: x, y: box.y + keysTop + row,
                       clip: Rect(x: x, y: box.y, width: box.width / columns - 1, height: box.height))
        }
        let notesTop = box.y + keysTop + min(room, perColumn) + 1
        for (offset, line) in lines.enumerated() {
            grid.write(line.0, x: box.x + 1, y: notesTop + offset, role: line.1, clip: box)
        }
    }
}
