import Foundation

/// The cockpit's panes, in tab order.
public enum Pane: String, Sendable, Equatable, CaseIterable {
    case checklist, health, dns, certificates, alarms, poll

    public var title: String {
        switch self {
        case .checklist: "Checklist"
        case .health: "Health"
        case .dns: "DNS"
        case .certificates: "Certificates"
        case .alarms: "Alarms"
        case .poll: "Go/no-go"
        }
    }
}

/// What happens to the cockpit: probe results, the clock, and what people press.
public enum CockpitEvent: Sendable {
    case outcome(ProbeOutcome)
    case tick(Date)
    case action(KeyAction)
    /// A key as pressed; the keymap (or the filter or prompt being edited) decides what it means.
    case key(Key)
    /// The shared launch state changed (here or in another process on the same plan).
    case launch(LaunchState)
    /// The shared launch state cannot be read; why.
    case launchUnavailable(String)
    /// The actions menu for the selected row, whose key the view knows.
    case openActions(row: RowID?)
    /// What became of an action: recorded, or refused and why.
    case message(String)
    /// What an external alarm source reports now.
    case externalAlarms(source: String, alarms: [Alarm])
}

/// Everything the cockpit shows, changed only by `reduce`.
public struct CockpitState: Sendable {
    public let plan: LaunchPlan
    public let keymap: Keymap?
    public private(set) var board: CheckBoard
    /// The newest outcome of each check, with its evidence, for the detail view.
    public private(set) var latest: [String: ProbeOutcome] = [:]
    public private(set) var now: Date
    public private(set) var focus: Pane = .health
    public private(set) var selection: [Pane: Int] = [:]
    public private(set) var filter = ""
    public private(set) var editingFilter = false
    public private(set) var redOnly = false
    public private(set) var showingHelp = false
    public private(set) var showingDetail = false
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
    /// Signed actions for the cockpit loop to check and append; taken with `takeRequests`.
    public internal(set) var requests: [LaunchRequest] = []
    public private(set) var alarms: AlarmBoard
    /// The wall-clock moment the poller's clock read zero.
    public let clockOrigin: Date

    public init(plan: LaunchPlan, now: Date, keymap: Keymap? = nil, identity: LaunchActor? = nil, readOnly: Bool = false) {
        self.plan = plan
        self.keymap = keymap
        board = CheckBoard(plan: plan)
        alarms = AlarmBoard(plan: plan)
        self.now = now
        clockOrigin = now
        self.identity = identity
        self.readOnly = readOnly
    }

    /// Each check's status as the board holds it: what votes are cast on.
    public var checkStatuses: [String: CheckStatus] {
        board.reports.statusesByID
    }

    public var selectedRow: Int { selection[focus] ?? 0 }

    public mutating func reduce(_ event: CockpitEvent) {
        switch event {
        case .outcome(let outcome):
            board.record(outcome)
            alarms.observe(outcome)
            latest[outcome.checkID] = outcome
        case .tick(let date):
            now = date
            updateAlarms()
        case .externalAlarms(let source, let reported):
            alarms.record(source: source, alarms: reported)
            updateAlarms()
        case .action(let action):
            apply(action)
        case .launch(let state):
            launch = state
            launchProblem = nil
            updateAlarms()
        case .launchUnavailable(let problem):
            launchProblem = problem
        case .openActions(let row):
            openActions(row: row)
        case .message(let text):
            message = (text, now)
        case .key(let key):
            // While the filter is edited, keys are text, except the ones that end it.
            if prompt != nil {
                answerPrompt(key)
            } else if editingFilter {
                switch key {
                case .character(let character): filter.append(character)
                case .backspace: if !filter.isEmpty { filter.removeLast() }
                case .enter: apply(.open)
                case .escape: apply(.close)
                default: break
                }
            } else if let action = keymap?.action(for: key) {
                apply(action)
            }
        }
    }

    private mutating func apply(_ action: KeyAction) {
        if showingHelp, action != .quit {
            showingHelp = action == .help ? false : showingHelp
            if action == .close || action == .open { showingHelp = false }
            return
        }
        switch action {
        case .quit:
            quitting = true
        case .help:
            showingHelp = true
        case .nextPane, .previousPane:
            let panes = Pane.allCases
            let index = panes.firstIndex(of: focus)!
            focus = panes[(index + (action == .nextPane ? 1 : panes.count - 1)) % panes.count]
            showingDetail = false
        case .pane1, .pane2, .pane3, .pane4, .pane5, .pane6:
            let index = [KeyAction.pane1, .pane2, .pane3, .pane4, .pane5, .pane6].firstIndex(of: action)!
            focus = Pane.allCases[index]
            showingDetail = false
        case .up:
            selection[focus] = max(0, selectedRow - 1)
        case .down:
            selection[focus] = selectedRow + 1
        case .open:
            if editingFilter { editingFilter = false } else { showingDetail = true }
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
        case .filter:
            editingFilter = true
        case .redOnly:
            redOnly.toggle()
            selection[focus] = 0
        case .act:
            // The loop turns this into `.openActions` with the selected row's key.
            break
        }
    }

    private mutating func updateAlarms() {
        alarms.update(clock: .seconds(max(0, now.timeIntervalSince(clockOrigin))), now: now, launch: launch)
    }

    /// Keeps the selection on a row that exists once rows are known.
    public mutating func clampSelection(rows: Int) {
        selection[focus] = max(0, min(selectedRow, rows - 1))
    }
}

/// What a pane's row is about, for the actions menu.
public enum RowID: Sendable, Hashable {
    case checklistItem(String)
    case role(String)
    /// An override request, by its journal entry.
    case override(Int)
    case alarm(String)
}
