package org.postwarden.ingest.journal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.ingest.IngestMetrics;
import org.postwarden.ingest.IngestPipeline;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal source against journalctl's JSON output ({@code journalctl -o json} entries in
 * {@code src/test/resources/journal}), played by a fake journalctl that honours {@code --after-cursor} like the real
 * one, so that a restart's resume is exercised: only entries after the stored cursor are read again.
 */
class JournalFollowerTest {
    @TempDir
    Path dir;
    final ManualTimeSource time = new ManualTimeSource(1_764_871_300_000L);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DecisionEngine engine;
    IngestPipeline pipeline;
    PostwardenConfig config;

    void setUp() throws Exception {
        Path rec = dir.resolve("journal.json");
        Files.write(rec, resource("recorded-1.json"));
        Path fake = dir.resolve("journalctl");
        // prints the recording; with --after-cursor=C only what follows the entry whose cursor is C; logs its argv
        Files.writeString(fake, """
                #!/bin/sh
                printf '%%s\\n' "$*" >> %1$s/argv
                cursor=""
                for a in "$@"; do case "$a" in --after-cursor=*) cursor="${a#--after-cursor=}";; esac; done
                if [ -z "$cursor" ]; then exec cat %1$s/journal.json; fi
                exec awk -v c="\\"__CURSOR\\":\\"$cursor\\"" 'found { print } index($0, c) { found = 1 }' %1$s/journal.json
                """.formatted(dir));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = ConfigLoader.load("t", """
                ingest:
                  max-line-age: 0s
                  journal:
                    enabled: true
                    command: [%1$s/journalctl]
                    uids: [0, 101]
                    cursor-path: %1$s/state/journal.cursor
                bans: {threshold: 0}
                """.formatted(dir));
        Rules rules = new Rules(config);
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time),
                new PostwardenMetrics(registry));
        pipeline = new IngestPipeline(engine, time, config.ingest().maxLineAge(), config.ingest().maxLineLength(),
                new IngestMetrics(registry));
    }

    JournalFollower follower() {
        PostwardenConfig.Journal j = config.ingest().journal();
        return new JournalFollower(j, config.ingest().maxLineLength(), Path.of(j.cursorPath()), pipeline);
    }

    byte[] resource(String name) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/journal/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    double score(String ip) {
        return engine.store().score(ClientKey.of(Cidr.parseAddress(ip), KeyLevel.HOST, 48));
    }

    double lines(String result) {
        Counter c = registry.find("postwarden.log.lines").tags("source", "journal", "result", result).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void onlyPostfixAndDovecotProcessesCountAndARestartResumesAfterTheCursor() throws Exception {
        setUp();
        JournalFollower first = follower();
        assertTrue(first.command().contains("--lines=0"), "no cursor yet: from the end " + first.command());
        assertEquals(0, first.runOnce());
        assertTrue(score("203.0.113.5") > 0, "Postfix's smtpd (unit, _COMM, _UID) is read");
        assertTrue(score("203.0.113.7") > 0, "Dovecot's log process in dovecot.service is read");
        assertEquals(0.0, score("198.51.100.9"), "logger -t postfix/smtpd from a user's session is ignored");
        assertEquals(0.0, score("198.51.100.10"), "a shell inside the postfix unit is not Postfix");
        assertEquals(3, lines("untrusted"), "the forged line, systemd's own, the shell's");
        String c6 = first.cursor();
        assertTrue(c6.contains(";i=1a2b6;"), "the cursor of the last entry read (untrusted ones too): " + c6);
        assertEquals(c6, Files.readString(dir.resolve("state/journal.cursor")).strip(), "saved at the end of a run");
        double before = score("203.0.113.5");

        // new entries arrive; the daemon restarts: a new follower resumes from the stored cursor
        Files.write(dir.resolve("journal.json"), resource("recorded-2.json"), StandardOpenOption.APPEND);
        JournalFollower second = follower();
        assertTrue(second.command().contains("--after-cursor=" + c6), second.command().toString());
        assertEquals(0, second.runOnce());
        assertEquals(before, score("203.0.113.5"), 1e-9, "nothing read twice");
        assertTrue(score("203.0.113.6") > 0, "postfix/submission/smtpd after the cursor is read");
        assertTrue(second.cursor().contains(";i=1a2b8;"), second.cursor());
        assertEquals(5, lines("event") + lines("ignored"), "the five trusted entries went to the parsers, the "
                + "non-UTF-8 MESSAGE (a byte array) too");
        assertEquals(3, lines("untrusted"), "the second run read no old entry again");
        List<String> argv = Files.readAllLines(dir.resolve("argv"));
        assertEquals(2, argv.size());
        assertTrue(argv.get(0).contains("--follow --output=json --no-pager -u postfix.service -u postfix@*.service "
                + "-u dovecot.service --lines=0"), argv.get(0));
    }

    @Test
    void aBrokenCursorFileStartsAtTheEndAndUnitGlobsMatchWholeNames() throws Exception {
        setUp();
        Files.createDirectories(dir.resolve("state"));
        Files.writeString(dir.resolve("state/journal.cursor"), "not a cursor\n");
        assertTrue(follower().command().contains("--lines=0"));
        assertTrue(JournalFollower.glob("postfix@*.service").matcher("postfix@-.service").matches());
        assertTrue(!JournalFollower.glob("postfix@*.service").matcher("xpostfix@-.service.d").matches());
        assertTrue(!JournalFollower.glob("dovecot.service").matcher("dovecotXservice").matches(), "dots are literal");
    }
}
