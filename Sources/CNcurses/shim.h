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

#endif
