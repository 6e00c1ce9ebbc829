package org.postwarden.milter.session;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContentFingerprintTest {
    static String print(int prefix, String subject, String... chunks) {
        ContentFingerprint f = new ContentFingerprint(prefix);
        f.subject(subject);
        for (String c : chunks) {
            f.body(c.getBytes(StandardCharsets.ISO_8859_1));
        }
        return f.value();
    }

    @Test
    void trivialVariationsShareAFingerprint() {
        String base = print(64, "Invoice 42", "Please pay\r\nnow.");
        assertEquals(16, base.length());
        assertEquals(base, print(64, "  RE: fwd:  INVOICE   42 ", "please  PAY now.\r\n"));
        assertEquals(base, print(64, "Invoice 42", "Please ", "pay\r\n", "now."), "chunk boundaries do not matter");
    }

    @Test
    void realDifferencesDoNot() {
        String base = print(64, "Invoice 42", "Please pay now.");
        assertNotEquals(base, print(64, "Invoice 43", "Please pay now."));
        assertNotEquals(base, print(64, "Invoice 42", "Please pay later."));
        assertNotEquals(base, print(64, "", "Please pay now."));
    }

    @Test
    void onlyThePrefixCounts() {
        String a = print(16, "s", "0123456789abcdef", "tail one");
        assertEquals(a, print(16, "s", "0123456789abcdef", "another tail"));
        ContentFingerprint f = new ContentFingerprint(16);
        assertFalse(f.body(new byte[10]));
        assertTrue(f.body(new byte[10]), "complete once 16 bytes are in");
        assertTrue(f.complete());
    }

    @Test
    void theFirstSubjectWinsAndResetStartsOver() {
        ContentFingerprint f = new ContentFingerprint(32);
        f.subject("one");
        f.subject("two");
        f.body("x".getBytes(StandardCharsets.US_ASCII));
        String one = f.value();
        assertEquals(one, print(32, "one", "x"));
        f.reset();
        f.subject("two");
        f.body("x".getBytes(StandardCharsets.US_ASCII));
        assertEquals(print(32, "two", "x"), f.value());
        assertThrows(IllegalArgumentException.class, () -> new ContentFingerprint(0));
    }
}
