import CNcurses

/// The terminal library the backend drives.
public enum TerminalLibrary {
    /// ncurses' version as it reports itself (`ncurses 6.4.20221231`).
    public static var version: String {
        guard let text = curses_version() else { return "unknown" }
        return String(cString: text)
    }
}
