import Foundation

/// The cockpit's panes, in tab order.
public enum Pane: String, Sendable, Equatable, CaseIterable {
    case checklist, health, dns, certificates, alarms, poll, timeline

    public var title: String {
        switch self {
        case .checklist: "Checklist"
        case .health: "Health"
        case .dns: "DNS"
        case .certificates: "Certificates"
        case .alarms: "Alarms"
        case .poll: "Go/no-go"
        case .timeline: "Timeline"
        }
    }

    /// The panes of what stands now: all but the timeline, which is what happened.
    public static let live: [Pane] = allCases.filter { $0 != .timeline }

    /// The title where the tabs do not fit in full.
    public var shortTitle: String {
        switch self {
        case .checklist: "Checks"
        case .certificates: "Certs"
        case .poll: "Poll"
        default: title
        }
    }

    /// The panes whose rows can be acted on (the actions menu); health too when the plan has
    /// commands, whose rows can be run again (see `CockpitState.hasActions`).
    var hasActions: Bool { [.checklist, .alarms, .poll].contains(self) }
}

/// What happens to the cockpit: probe results, the clock, the screen, what people press, and
/// what became of the effects the reducer asked for.
public enum CockpitEvent: Sendable {
    case outcome(ProbeOutcome)
    case tick(Date)
    case action(KeyAction)
    /// A key as pressed; the keymap (or the filter or prompt being edited) decides what it means.
    case key(Key)
    /// The terminal's size, when the cockpit starts and whenever it changes.
    case resize(width: Int, height: Int)
    /// The shared launch state changed (here or in another process on the same plan).
    case launch(LaunchState)
    /// The shared launch state cannot be read; why.
    case launchUnavailable(String)
    /// What the shared state holds of the probe agents.
    case vantages(VantageReading)
    /// What the launch's timeline holds that was not read before.
    case timeline(TimelineReading)
    /// What became of an action: recorded, or refused and why.
    case message(String)
    /// The PIN typed for a request did not sign it, and why.
    case pinRejected(LaunchRequest, why: String)
    /// What an external alarm source reports now.
    case externalAlarms(source: String, alarms: [Alarm])
}

/// What the reducer asks of the world. The cockpit loop runs each; what becomes of it comes
/// back as an event (`.launch`, `.message`).
public enum CockpitEffect: Sendable {
    case launch(LaunchWork)
    /// A new critical alarm: ring the bell or flash, as the operator chose.
    case alert
    case quit
}

/// Work on the shared launch state, done off the cockpit loop (a slow disk or a scrypt never
/// holds up a frame).
public enum LaunchWork: Sendable {
    /// Check the PIN, if one was typed, then sign the action and append it to the journal,
    /// judged against the checks as they stand (and what each vantage saw of them).
    case submit(LaunchRequest, checks: [String: CheckStatus], vantages: [String: [EvidenceVantage]])
    /// Append the stale votes and built-in holds that have come due.
    case appendDue(checks: [String: CheckStatus])
    /// Claim each notice in the journal and, where the claim is accepted, send it.
    case notify([LaunchNotice])
    /// Journal that these notices were held back: their alarms are expected in these windows.
    case suppress([(key: String, window: String)])
}

/// Everything the cockpit shows, changed only by `reduce`.
public struct CockpitState: Sendable {
    public let plan: LaunchPlan
    public let keymap: Keymap?
    /// The marks beside status words, from the theme.
    public let glyphs: StatusGlyphs
    public private(set) var board: CheckBoard
    /// The newest outcome of each check, with its evidence, for the detail view.
    public private(set) var latest: [String: ProbeOutcome] = [:]
    public private(set) var now: Date
    public private(set) var layout = CockpitLayout(width: 120, height: 40)
    public private(set) var focus: Pane
    /// Each pane's selection and scroll; a pane keeps its own when another is shown.
    public private(set) var cursors: [Pane: ListCursor] = [:]
    public private(set) var filter = ""
    public private(set) var editingFilter = false
    public private(set) var redOnly = false
    public private(set) var showingHelp = false
    public private(set) var showingDetail = false
    /// The first line of the detail view on screen.
    public private(set) var detailOffset = 0
    public private(set) var quitting = false

    /// The go/no-go state shared by every process on the plan; nil until it is read.
    public internal(set) var launch: LaunchState?
    public internal(set) var launchProblem: String?
    /// Who runs this cockpit, to tell whether they act by login or need a PIN.
    public let identity: LaunchActor?
    /// Observers see everything and can change nothing.
    public let readOnly: Bool
    public internal(set) var prompt: CockpitPrompt?
    public internal(set) var message: (text: String, at: Date)?
    public private(set) var alarms: AlarmBoard
    /// The launch's timeline as read so far, newest changes kept.
    public private(set) var timeline = TimelineRecord()
    /// The wall-clock moment the poller's clock read zero.
    public let clockOrigin: Date

    /// - Parameter vantage: the name this host's own results go by among the plan's vantages.
    public init(plan: LaunchPlan, now: Date, keymap: Keymap? = nil, glyphs: StatusGlyphs = StatusGlyphs(),
                identity: LaunchActor? = nil, readOnly: Bool = false, vantage: String = VantageSettings.local) {
        self.plan = plan
        self.keymap = keymap
        self.glyphs = glyphs
        board = CheckBoard(plan: plan, now: now, vantage: vantage)
        alarms = AlarmBoard(plan: plan)
        self.now = now
        clockOrigin = now
        self.identity = identity
        self.readOnly = readOnly
        focus = Self.openingPane(plan)
    }

    /// Where the cockpit opens: the checklist, which is the launch, when the plan has one;
    /// otherwise the first pane with something in it.
    static func openingPane(_ plan: LaunchPlan) -> Pane {
        if !plan.checklist.isEmpty { return .checklist }
        if !plan.httpChecks.isEmpty || !plan.commandChecks.isEmpty { return .health }
        if !plan.dns.records.isEmpty || !plan.dns.expectedNameservers.isEmpty { return .dns }
        if !plan.tlsEndpoints.isEmpty { return .certificates }
        return plan.hasPoll ? .poll : .health
    }

    /// Each check's status as the board holds it: what votes are cast on.
    public var checkStatuses: [String: CheckStatus] {
        board.reports.statusesByID
    }

    /// Whether a pane's rows can be acted on in this plan.
    public func hasActions(_ pane: Pane) -> Bool {
        pane.hasActions || (pane == .health && !plan.commandChecks.isEmpty)
    }

    public func cursor(_ pane: Pane) -> ListCursor { cursors[pane] ?? ListCursor() }
    public var selectedRow: Int { cursor(focus).selected }

    /// Decisions older than this were news before this cockpit started.
    private var startedAt: Date { clockOrigin.addingTimeInterval(-60) }

    /// Folds one event into the state and says what should happen because of it.
    @discardableResult
    public mutating func reduce(_ event: CockpitEvent) -> [CockpitEffect] {
        let criticalsBefore = alarms.newCriticals
        var effects: [CockpitEffect] = []
        switch event {
        case .outcome(let outcome):
            board.record(outcome)
            alarms.observe(outcome)
            latest[outcome.checkID] = outcome
            if let check = board.report(for: outcome.checkID)?.check, check.kind.isSeenFromVantages { observeVantages(of: [check]) }
        case .tick(let date):
            now = date
            board.advance(to: date)
            observeVantages(of: board.checks)
            updateAlarms()
            effects += dueWork()
        case .externalAlarms(let source, let reported):
            alarms.record(source: source, alarms: reported)
            updateAlarms()
        case .resize(let width, let height):
            layout = CockpitLayout(width: width, height: height)
            clampCursor()
        case .action(let action):
            effects += apply(action)
        case .launch(let state):
            launch = state
            launchProblem = nil
            updateAlarms()
        case .launchUnavailable(let problem):
            launchProblem = problem
        case .vantages(let reading):
            board.apply(reading)
            observeVantages(of: board.checks)
            updateAlarms()
        case .timeline(let reading):
            timeline.apply(reading)
        case .message(let text):
            message = (text, now)
        case .pinRejected(let request, let why):
            pinRejected(request, why: why)
        case .key(let key):
            // While the filter or a prompt is edited, keys are text, except the ones that end it.
            if prompt != nil {
                effects += answerPrompt(key)
            } else if editingFilter {
                switch key {
                case .character(let character): filter.append(character)
                case .backspace: if !filter.isEmpty { filter.removeLast() }
                case .enter: apply(.open)
                case .escape: apply(.close)
                default: break
                }
                clampCursor()
            } else if let action = keymap?.action(for: key) {
                effects += apply(action)
            }
        }
        if alarms.newCriticals > criticalsBefore { effects.append(.alert) }
        return effects
    }

    @discardableResult
    private mutating func apply(_ action: KeyAction) -> [CockpitEffect] {
        if showingHelp, action != .quit {
            if [.help, .close, .open].contains(action) { showingHelp = false }
            return []
        }
        switch action {
        case .quit:
            quitting = true
            return [.quit]
        case .help:
            showingHelp = true
        case .nextPane, .previousPane:
            let panes = Pane.allCases
            let index = panes.firstIndex(of: focus)!
            focus = panes[(index + (action == .nextPane ? 1 : panes.count - 1)) % panes.count]
            showingDetail = false
            clampCursor()
        case .pane1, .pane2, .pane3, .pane4, .pane5, .pane6, .pane7:
            let index = [KeyAction.pane1, .pane2, .pane3, .pane4, .pane5, .pane6, .pane7].firstIndex(of: action)!
            focus = Pane.allCases[index]
            showingDetail = false
            clampCursor()
        case .up, .down, .pageUp, .pageDown, .first, .last:
            move(action)
        case .open:
            if editingFilter {
                editingFilter = false
            } else {
                showingDetail = true
                detailOffset = 0
            }
        case .close:
            if editingFilter {
                editingFilter = false
                filter = ""
            } else if showingDetail {
                showingDetail = false
            } else {
                filter = ""
                redOnly = false
            }
            clampCursor()
        case .filter:
            editingFilter = true
        case .redOnly:
            redOnly.toggle()
            cursors[focus] = ListCursor()
        case .act:
            clampCursor()
            // On a heading, the actions of the first row that has any, and the selection goes there.
            if selectedRowID == nil, let index = firstRowWithActions() {
                cursors[focus, default: ListCursor()].move(by: index - selectedRow, count: rows(focus, window: 0..<0).count,
                                                           visible: layout.paneRows(focus))
            }
            openActions(row: selectedRowID)
        }
        return []
    }

    /// Moves the selection, or in a detail view scrolls it: by a row, a screenful, or to an end.
    private mutating func move(_ action: KeyAction) {
        let page = showingDetail ? layout.detailRows : layout.paneRows(focus)
        let step = switch action {
        case .up: -1
        case .down: 1
        case .pageUp: -page
        case .pageDown: page
        case .first: Int.min / 2
        default: Int.max / 2
        }
        if showingDetail {
            let lines = detailLines().count
            detailOffset = max(0, min(detailOffset + step, lines - layout.detailRows))
        } else {
            cursors[focus, default: ListCursor()].move(by: step, count: rows(focus, window: 0..<0).count, visible: layout.paneRows(focus))
        }
    }

    /// The selected row's detail as the detail view shows it: wrapped to the screen.
    public func detailLines() -> [String] {
        let selected = selectedRow
        let rows = rows(focus, window: selected..<(selected + 1))
        guard !rows.isEmpty else { return [] }
        return rows[min(selected, rows.count - 1)].detail.flatMap { ScreenText.wrap($0, width: layout.detailWidth) }
    }

    /// The selected row's id, building only that row in full.
    public var selectedRowID: RowID? {
        let selected = selectedRow
        let rows = rows(focus, window: selected..<(selected + 1))
        return rows.isEmpty ? nil : rows[min(selected, rows.count - 1)].id
    }

    /// The first row, from the selection on and then from the top, that anyone here could act on now.
    private func firstRowWithActions() -> Int? {
        guard !readOnly, hasActions(focus), let launch else { return nil }
        let rows = rows(focus)
        let order = Array(selectedRow..<rows.count) + Array(0..<min(selectedRow, rows.count))
        return order.first { index in
            rows[index].id.map { !menu(pane: focus, row: $0, launch: launch).options.isEmpty } ?? false
        }
    }

    /// Keeps the focused pane's selection on a row that exists, and on screen.
    private mutating func clampCursor() {
        cursors[focus, default: ListCursor()].clamp(count: rows(focus, window: 0..<0).count, visible: layout.paneRows(focus))
    }

    /// Hands the alarm rules each check's status as its vantages combine it, for the checks
    /// seen from more than this host.
    private mutating func observeVantages(of checks: [CheckDescriptor]) {
        let clock = Duration.seconds(max(0, now.timeIntervalSince(clockOrigin)))
        for check in checks where check.kind.isSeenFromVantages {
            let combined = board.isCombined(check) ? board.report(for: check.id) : nil
            alarms.observeCombined(combined, for: check.id, at: clock)
        }
    }

    private mutating func updateAlarms() {
        alarms.update(clock: .seconds(max(0, now.timeIntervalSince(clockOrigin))), now: now, launch: launch)
    }

    /// What the clock makes due: stale votes and built-in holds to append, and notices to
    /// send. Every writing cockpit on the plan looks; the journal lets one of them do each.
    private func dueWork() -> [CockpitEffect] {
        guard !readOnly, let launch else { return [] }
        var effects: [CockpitEffect] = []
        let checks = checkStatuses
        if !launch.dueEvents(at: now, checks: checks).isEmpty { effects.append(.launch(.appendDue(checks: checks))) }
        guard !plan.notifications.isEmpty else { return effects }
        // What some target wants told, and is news; with the verdict and the clock as they stand.
        let wanted = Set(plan.notifications.flatMap(\.events))
        let verdict = CheckVerdict(reports: board.reports, alarms: alarms.standing)
        let news = (LaunchNotice.decisions(in: launch, after: startedAt) + LaunchNotice.alarms(on: alarms, plan: plan)
                    + LaunchNotice.followUps(on: alarms, launch: launch, plan: plan)).filter { notice in
            wanted.contains(notice.event) && launch.isNews(notice.key, at: now)
        }.map { notice in
            var notice = notice
            notice.verdict = "\(verdict.isGo ? "GO" : "NO-GO"): \(verdict.reason)"
            notice.clock = LaunchState.clock(launch.tMinus(at: now))
            return notice
        }
        // An alarm an open window expects is held back, and that is journalled, once.
        var held: [(key: String, window: String)] = []
        var told: [LaunchNotice] = []
        for notice in news {
            let alarm = notice.alarmID.flatMap { id in alarms.entries.first { $0.alarm.id == id }?.alarm }
            if let window = alarm.flatMap({ launch.window(expecting: $0, at: now) }) {
                // Held back once the window's opening is journalled (a moment after it stands).
                if launch.openWindows[window.id] != nil, !launch.isSuppressed(notice.key, in: window.id) { held.append((notice.key, window.id)) }
            } else {
                told.append(notice)
            }
        }
        if !told.isEmpty { effects.append(.launch(.notify(told))) }
        if !held.isEmpty { effects.append(.launch(.suppress(held))) }
        return effects
    }
}
