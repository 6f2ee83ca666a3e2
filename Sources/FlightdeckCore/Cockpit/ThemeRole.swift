/// What a piece of the screen is, for the theme to colour: every role a view draws with,
/// and every role a theme file must give.
public enum ThemeRole: String, Sendable, Equatable, Hashable, CaseIterable {
    case text, muted, title, bar, keybar, tab
    case tabFocused = "tab.focused"
    case paneFocused = "pane.focused"
    case selection
    case statusPass = "status.pass", statusWarn = "status.warn", statusFail = "status.fail", statusUnknown = "status.unknown"

    /// The role a status is shown in.
    public static func status(_ status: CheckStatus) -> ThemeRole {
        switch status {
        case .pass: .statusPass
        case .warn: .statusWarn
        case .fail: .statusFail
        case .unknown: .statusUnknown
        }
    }
}
