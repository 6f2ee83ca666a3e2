#ifndef FLIGHTDECK_CNCURSES_SHIM_H
#define FLIGHTDECK_CNCURSES_SHIM_H

// Wide-character ncurses. The define must come before the header: SwiftPM drops the
// -D flags pkg-config would give, so the shim sets it itself.
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/curses.h>

// Swift cannot import C globals safely under strict concurrency, nor function-like
// macros; these accessors are the only way the terminal backend reaches them.
static inline WINDOW *fd_stdscr(void) { return stdscr; }
static inline int fd_lines(void) { return LINES; }
static inline int fd_cols(void) { return COLS; }
static inline int fd_colors(void) { return COLORS; }
static inline int fd_color_pairs(void) { return COLOR_PAIRS; }

static inline int fd_color_pair(int n) { return COLOR_PAIR(n); }
static inline attr_t fd_a_normal(void) { return A_NORMAL; }
static inline attr_t fd_a_bold(void) { return A_BOLD; }
static inline attr_t fd_a_dim(void) { return A_DIM; }
static inline attr_t fd_a_reverse(void) { return A_REVERSE; }
static inline attr_t fd_a_underline(void) { return A_UNDERLINE; }
static inline int fd_attrset(attr_t a) { return attrset(a); }
static inline int fd_get_wch(wint_t *ch) { return get_wch(ch); }
static inline void fd_timeout(int ms) { timeout(ms); }
static inline int fd_keypad(void) { return keypad(stdscr, TRUE); }
static inline int fd_mvaddstr(int y, int x, const char *s) { return mvaddstr(y, x, s); }
static inline int fd_erase(void) { return erase(); }
static inline int fd_refresh(void) { return refresh(); }
static inline int fd_key_resize(void) { return KEY_RESIZE; }
static inline int fd_key_btab(void) { return KEY_BTAB; }
static inline int fd_key_enter(void) { return KEY_ENTER; }
static inline int fd_key_up(void) { return KEY_UP; }
static inline int fd_key_down(void) { return KEY_DOWN; }
static inline int fd_key_left(void) { return KEY_LEFT; }
static inline int fd_key_right(void) { return KEY_RIGHT; }
static inline int fd_key_backspace(void) { return KEY_BACKSPACE; }
static inline int fd_key_ppage(void) { return KEY_PPAGE; }
static inline int fd_key_npage(void) { return KEY_NPAGE; }
static inline int fd_key_home(void) { return KEY_HOME; }
static inline int fd_key_end(void) { return KEY_END; }

// The bytes that give the terminal `attrs` (colour pair included), as ncurses would send
// them; ncurses then believes the terminal has them. For text written around ncurses (an
// OSC 8 hyperlink over cells it drew).
static inline char *fd_sgr_buffer(size_t **count) {
    static char bytes[256];
    static size_t used;
    *count = &used;
    return bytes;
}
static inline int fd_sgr_put(int c) {
    size_t *count;
    char *bytes = fd_sgr_buffer(&count);
    if (*count < 256) bytes[(*count)++] = (char)c;
    return c;
}
static inline size_t fd_sgr(attr_t attrs, char *out, size_t size) {
    size_t *count;
    char *bytes = fd_sgr_buffer(&count);
    *count = 0;
    vidputs((chtype)attrs, fd_sgr_put);
    size_t length = *count < size ? *count : size;
    for (size_t i = 0; i < length; i++) out[i] = bytes[i];
    return length;
}

#endif
