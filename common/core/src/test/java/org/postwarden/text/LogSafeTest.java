package org.postwarden.text;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LogSafeTest {

    @Test
    void escapeMakesControlNonAsciiAndBackslashesVisible() {
        assertEquals("a\\x0Ab\\x1B[31m \\\\ M\\xFCller", LogSafe.escape("a\nb\u001b[31m \\ Müller", 100));
        assertEquals("abc...", LogSafe.escape("abcdef", 3));
        assertEquals("", LogSafe.escape(null, 10));
    }

    @Test
    void escapeControlsKeepsTextButNotControls() {
        assertEquals("a\\x0Db\\x0A\\x7F \\ Müller 😀", LogSafe.escapeControls("a\rb\n\u007f \\ Müller 😀", 100));
        assertEquals("abc...", LogSafe.escapeControls("abcdef", 3));
        assertEquals("", LogSafe.escapeControls(null, 10));
    }
}
