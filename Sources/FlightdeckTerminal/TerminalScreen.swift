import CNcurses
import FlightdeckCore
import FlightdeckView
import Foundation

/// The only code that calls ncurses. It draws grids (sending only the cells that changed),
/// reads keys, and restores the terminal however the program ends. Use it from one thread.
public final class TerminalScreen {
    private let theme: Theme
    public let depth: ColourDepth
    private var attributes: [ThemeRole: attr_t] = [:]
    private var previous: Grid?
    private var active = false
    /// Whether links are sent as OSC 8 hyperlinks (see `hyperlinks(environment:)`).
    public let hyperlinks: Bool

    public enum Input: Equatable {
        case key(Key)
        case resize
    }

    public static let escapeDelayMilliseconds: Int32 = 25

    /// Takes over the terminal: alternate screen, no echo, keys one at a time.
    public init(theme: Theme, environment: [String: String]) {
        self.theme = theme
        setlocale(LC_ALL, "")
        initscr()
        active = true
        // ncurses waits a whole second after Esc for the rest of a key's sequence; 25 ms is
        // enough for an arrow key's bytes, which travel together even over a slow SSH link.
        // An ESCDELAY in the environment still wins.
        if environment["ESCDELAY"] == nil { set_escdelay(Self.escapeDelayMilliseconds) }
        cbreak()
        noecho()
        nonl()
        _ = fd_keypad()
        curs_set(0)
        fd_timeout(25)
        let terminfoColours = has_colors() ? Int(tigetnum("colors")) : 0
        depth = ColourDepth.detect(environment: environment, terminfoColours: terminfoColours)
        hyperlinks = Self.hyperlinks(environment: environment)
        if depth != .none {
            start_color()
            use_default_colors()
        }
        for (index, role) in ThemeRole.allCases.enumerated() { attributes[role] = attribute(for: role, pair: Int16(index + 1)) }
        TerminalScreen.installCrashRestore()
    }

    deinit { restore() }

    /// Gives the terminal back as it was.
    public func restore() {
        guard active else { return }
        active = false
        endwin()
    }

    public var size: (width: Int, height: Int) { (Int(fd_cols()), Int(fd_lines())) }

    /// Draws `grid`, writing only the cells that differ from the last frame.
    public func draw(_ grid: Grid) {
        if let previous, previous.width != grid.width || previous.height != grid.height { _ = fd_erase() }
        let changed = previous.map { grid.changes(since: $0) } ?? grid.changes(since: Grid(width: 0, height: 0))
        var index = 0
        while index < changed.count {
            // A run of changed cells on one row with one role goes out as one string.
            let start = changed[index]
            let role = grid[start.x, start.y].role
            var text = ""
            var end = index
            while end < changed.count, changed[end].y == start.y, changed[end].x == start.x + (end - index),
                  grid[changed[end].x, changed[end].y].role == role {
                let cell = grid[changed[end].x, changed[end].y]
                if cell.width > 0 { text.append(cell.character) }
                end += 1
            }
            _ = fd_attrset(attributes[role] ?? fd_a_normal())
            _ = fd_mvaddstr(Int32(start.y), Int32(start.x), text)
            index = end
        }
        _ = fd_attrset(fd_a_normal())
        _ = fd_refresh()
        if hyperlinks, grid.links != previous?.links || changed.contains(where: { cell in grid.links.contains { $0.covers(cell) } }) {
            sendLinks(grid)
        }
        previous = grid
    }

    /// Writes each link's cells again, as ncurses drew them, between OSC 8 markers: the
    /// terminal then opens the URL on a click. Around ncurses: the cursor is saved and put
    /// back, and the attributes left as ncurses believes them.
    private func sendLinks(_ grid: Grid) {
        var bytes: [UInt8] = []
        for link in grid.links {
            bytes += Array("\u{1B}7\u{1B}[\(link.y + 1);\(link.x + 1)H".utf8)
            var sgr = [CChar](repeating: 0, count: 256)
            let count = fd_sgr(attributes[grid[link.x, link.y].role] ?? fd_a_normal(), &sgr, sgr.count)
            bytes += sgr.prefix(count).map { UInt8(bitPattern: $0) }
            let text = String((link.x..<(link.x + link.width)).compactMap { grid[$0, link.y].width == 0 ? nil : grid[$0, link.y].character })
            bytes += Array("\u{1B}]8;;\(link.url)\u{1B}\\\(text)\u{1B}]8;;\u{1B}\\\u{1B}8\u{1B}[0m".utf8)
            let normal = fd_sgr(fd_a_normal(), &sgr, sgr.count)
            bytes += sgr.prefix(normal).map { UInt8(bitPattern: $0) }
        }
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            sent += count
        }
    }

    /// Whether the terminal takes OSC 8 hyperlinks: `FLIGHTDECK_HYPERLINKS=1` or `0` says so;
    /// otherwise the terminals known to (by their own variables), never under tmux or screen
    /// (which pass them on only when configured to), nor on the Linux console.
    public static func hyperlinks(environment: [String: String]) -> Bool {
        if let said = environment["FLIGHTDECK_HYPERLINKS"], !said.isEmpty { return said != "0" }
        let term = environment["TERM"] ?? ""
        guard environment["TMUX"] == nil, environment["STY"] == nil, !term.hasPrefix("screen"), !term.hasPrefix("tmux"),
              term != "linux", !term.hasPrefix("vt") else { return false }
        if let vte = environment["VTE_VERSION"].flatMap({ Int($0) }), vte >= 5000 { return true }
        if ["iTerm.app", "WezTerm", "vscode", "ghostty"].contains(environment["TERM_PROGRAM"] ?? "") { return true }
        return environment["KITTY_WINDOW_ID"] != nil || environment["WT_SESSION"] != nil || environment["KONSOLE_VERSION"] != nil
            || ["xterm-kitty", "alacritty", "foot", "xterm-ghostty"].contains(term)
    }

    /// Waits until a key arrives or `wake` becomes readable, for at most `milliseconds`;
    /// true when there is a key to read. Nothing spins while the cockpit is idle.
    /// Gets the room's attention: the terminal bell, or a flash of the screen.
    public func alert(flash: Bool) {
        if flash { _ = CNcurses.flash() } else { _ = CNcurses.beep() }
    }

    public func waitForInput(wake: Int32, milliseconds: Int32) -> Bool {
        var descriptors = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        _ = poll(&descriptors, 2, milliseconds)
        if descriptors[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { hungUp = true }
        return descriptors[0].revents != 0
    }

    /// The terminal went away (the SSH session or the tmux server died) without a SIGHUP
    /// reaching this process, as happens under a parent that catches it, such as make.
    public private(set) var hungUp = false

    /// Whether the window changed size since the last look, without waiting: the SIGWINCH
    /// may have gone to another thread, so the terminal thread asks ncurses itself.
    public func resizedSinceLastLook() -> Bool {
        fd_timeout(0)
        defer { fd_timeout(25) }
        var character: wint_t = 0
        let result = fd_get_wch(&character)
        if result == KEY_CODE_YES, Int32(character) == fd_key_resize() { return true }
        if result != ERR { _ = unget_wch(wchar_t(character)) }
        return false
    }

    /// The next key already typed, or nil when there is none. After an escape, the rest of
    /// a key's sequence gets `escapeDelayMilliseconds` to arrive.
    public func readInput() -> Input? {
        var character: wint_t = 0
        let result = fd_get_wch(&character)
        if result == KEY_CODE_YES {
            switch Int32(character) {
            case fd_key_resize(): return .resize
            case fd_key_btab(): return .key(.backTab)
            case fd_key_enter(): return .key(.enter)
            case fd_key_up(): return .key(.up)
            case fd_key_down(): return .key(.down)
            case fd_key_left(): return .key(.left)
            case fd_key_right(): return .key(.right)
            case fd_key_backspace(): return .key(.backspace)
            case fd_key_ppage(): return .key(.pageUp)
            case fd_key_npage(): return .key(.pageDown)
            case fd_key_home(): return .key(.home)
            case fd_key_end(): return .key(.end)
            default: return nil
            }
        }
        guard result == OK, let scalar = Unicode.Scalar(UInt32(character)) else { return nil }
        switch scalar.value {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        case 0..<32: return nil
        default: return .key(.character(Character(scalar)))
        }
    }

    private func attribute(for role: ThemeRole, pair: Int16) -> attr_t {
        let style = theme.terminalStyle(role, depth: depth)
        var value = fd_a_normal()
        for attribute in style.attributes {
            switch attribute {
            case .bold: value |= fd_a_bold()
            case .dim: value |= fd_a_dim()
            case .reverse: value |= fd_a_reverse()
            case .underline: value |= fd_a_underline()
            case .normal: break
            }
        }
        guard depth != .none else { return value }
        init_pair(pair, style.foreground ?? -1, style.background ?? -1)
        return value | attr_t(fd_color_pair(Int32(pair)))
    }

    /// On a crash, give the terminal back before dying, so the operator is not left with a
    /// dead screen over SSH.
    private static func installCrashRestore() {
        for signal in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            Glibc.signal(signal) { received in
                endwin()
                Glibc.signal(received, SIG_DFL)
                raise(received)
            }
        }
    }
}
