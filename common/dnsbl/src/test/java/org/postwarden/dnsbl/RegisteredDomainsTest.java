package org.postwarden.dnsbl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Registered domains by Public Suffix List rules (normal, wildcard, exception) and by the built-in approximation. */
class RegisteredDomainsTest {
    @TempDir
    Path dir;

    RegisteredDomains list() throws IOException {
        Path f = dir.resolve("psl.dat");
        Files.writeString(f, """
                // comment
                com
                uk
                co.uk
                *.ck
                !www.ck
                // ===BEGIN PRIVATE DOMAINS===
                blogspot.com
                *.compute.amazonaws.com
                公司.cn
                cn
                """);
        return RegisteredDomains.load(f);
    }

    @Test
    void theListsRulesDecide() throws Exception {
        RegisteredDomains d = list();
        assertTrue(d.fromList());
        assertEquals("google.com", d.of("mail-wr1-f54.google.com"));
        assertEquals("google.com", d.of("MAIL-WR1-F54.GOOGLE.COM."));
        assertEquals("example.co.uk", d.of("mx.eu.example.co.uk"));
        assertNull(d.of("co.uk"), "a public suffix has no registered domain");
        assertNull(d.of("com"));
        assertEquals("foo.bar.ck", d.of("mx.foo.bar.ck"), "*.ck: bar.ck is a public suffix");
        assertNull(d.of("bar.ck"));
        assertEquals("www.ck", d.of("mx.www.ck"), "!www.ck: an exception to *.ck");
        assertEquals("me.blogspot.com", d.of("x.me.blogspot.com"), "private rules count");
        assertEquals("ec2-1-2-3-4.eu.compute.amazonaws.com", d.of("ec2-1-2-3-4.eu.compute.amazonaws.com"));
        assertEquals("example.org", d.of("mx.example.org"), "no rule: the implicit * rule");
        assertEquals("mx.xn--55qx5d.cn", d.of("a.mx.xn--55qx5d.cn"), "internationalized rules, compared in ASCII");
        assertNull(d.of("localhost"));
        assertNull(d.of(""));
        assertNull(d.of("a..b.com"));
    }

    @Test
    void theApproximationTakesTwoLabelsOrThreeUnderACountryCodesSecondLevel() {
        RegisteredDomains d = RegisteredDomains.approximation();
        assertFalse(d.fromList());
        assertEquals("outlook.com", d.of("mail-db8eur05on2101.outbound.protection.outlook.com"));
        assertEquals("example.co.uk", d.of("mx.example.co.uk"));
        assertEquals("example.com.br", d.of("smtp.example.com.br"));
        assertEquals("example.de", d.of("mx.example.de"));
        assertNull(d.of("co.uk"));
        assertNull(d.of("localhost"));
    }

    @Test
    void debiansListWhenInstalled() throws Exception {
        Path debian = Path.of("/usr/share/publicsuffix/public_suffix_list.dat");
        if (!Files.isReadable(debian)) {
            String why = "SKIPPED " + getClass().getSimpleName() + ": install Debian package publicsuffix (" + debian
                    + " is missing)";
            System.err.println(why);
            org.junit.jupiter.api.Assertions.assertNotEquals("true", System.getenv("CI"), why);
            org.junit.jupiter.api.Assumptions.assumeTrue(false, why);
        }
        RegisteredDomains d = RegisteredDomains.load(debian);
        assertEquals("outlook.com", d.of("mail-db8eur05on2101.outbound.protection.outlook.com"));
        assertEquals("google.com", d.of("mail-ej1-f41.google.com"));
        assertEquals("example.co.uk", d.of("mx.example.co.uk"));
    }

    @Test
    void aFileWithoutRulesIsRefused() throws Exception {
        Path f = dir.resolve("empty.dat");
        Files.writeString(f, "// nothing\n");
        assertThrows(IOException.class, () -> RegisteredDomains.load(f));
        assertThrows(IOException.class, () -> RegisteredDomains.load(dir.resolve("missing.dat")));
    }
}
