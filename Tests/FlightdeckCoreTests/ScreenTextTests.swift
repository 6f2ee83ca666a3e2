import FlightdeckCore
import Testing

@Suite("Text that fits")
struct TextFittingTests {
    @Test("wrap breaks between words, keeps indentation, breaks a word longer than a line, and never exceeds the width")
    func wrap() {
        #expect(ScreenText.wrap("ETA unknown until the old delegation expires", width: 16) == ["ETA unknown", "until the old", "delegation", "expires"])
        #expect(ScreenText.wrap("  api-health: pass (now fail)", width: 14) == ["  api-health:", "  pass (now", "  fail)"])
        #expect(ScreenText.wrap("3A4B5C6D7E8F90A1B2C3", width: 8) == ["3A4B5C6D", "7E8F90A1", "B2C3"])
        #expect(ScreenText.wrap("漢字漢字漢字", width: 5) == ["漢字", "漢字", "漢字"])
        #expect(ScreenText.wrap("", width: 10) == [""])
        for width in 1...30 {
            for line in ScreenText.wrap("critical alarm on a blocker: web-home red for 3 polls: TLS: no alternative name matches", width: width) {
                #expect(ScreenText.width(line) <= width, "\(line) at \(width)")
            }
        }
    }

    @Test("fit ends a cut text with … at a word boundary when one is near, and leaves a short one alone")
    func fit() {
        #expect(ScreenText.fit("critical alarm on a blocker: web-home red", width: 30) == "critical alarm on a blocker:…")
        #expect(ScreenText.fit("short", width: 30) == "short")
        #expect(ScreenText.fit("abcdefghij", width: 5) == "abcd…")
        #expect(ScreenText.fit(" converged: all 5 resolvers, ETA 2m", width: 20) == " converged: all 5…", "the leading space stays")
        #expect(ScreenText.width(ScreenText.fit("漢字漢字漢字", width: 5)) <= 5)
    }
}
