package org.postwarden.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, issue 19 part 4: the real daemon follows "the journal" through {@code ingest.journal}. This machine
 * runs no journald, so journalctl is a stand-in that plays {@code journalctl -o json} entries (the ingest module's
 * test fixtures), honours {@code --after-cursor} like the real one and then waits like {@code --follow}. Checked:
 * only entries that journald's trusted fields attribute to Postfix or Dovecot count; the cursor is saved at
 * shutdown; after a restart the daemon resumes after it and reads nothing twice.
 */
class JournalIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Path FIXTURES = Path.of("../ingest/src/test/resources/journal");
    static Path dir;
    static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        assertTrue(Files.isDirectory(FIXTURES), FIXTURES.toAbsolutePath().toString());
        dir = Files.createTempDirectory("pw-journal-it");
        Files.copy(FIXTURES.resolve("recorded-1.json"), dir.resolve("journal.json"));
        Path fake = dir.resolve("journalctl");
        Files.writeString(fake, """
                #!/bin/sh
                printf '%%s\\n' "$*" >> %1$s/argv
                cursor=""
                for a in "$@"; do case "$a" in --after-cursor=*) cursor="${a#--after-cursor=}";; esac; done
                if [ -z "$cursor" ]; then cat %1$s/journal.json
                else awk -v c="\\"__CURSOR\\":\\"$cursor\\"" 'found { print } index($0, c) { found = 1 }' %1$s/journal.json
                fi
                exec sleep 120
                """.formatted(dir));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        daemon = DaemonProcess.start(dir, """
                milter: {enabled: false}
                ingest:
                  max-line-age: 0s
                  journal: {enabled: true, command: [%1$s/journalctl], uids: [0, 101],
                            cursor-path: %1$s/state/journal.cursor}
                bans: {threshold: 0}
                """.formatted(dir));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
    }

    static void await(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what + "\n" + daemon.metrics() + "\n"
                        + daemon.log());
            }
            Thread.sleep(200);
        }
    }

    static double lines(String result) throws Exception {
        return daemon.metric("postwarden_log_lines_total", "source=\"journal\"", "result=\"" + result + "\"");
    }

    @Test
    void trustedEntriesOnlyAndARestartResumesAfterTheCursor() throws Exception {
        await(() -> lines("untrusted") == 3 && lines("event") + lines("ignored") == 3,
                "the six entries read: three untrusted, three to the parsers");
        assertTrue(daemon.metric("postwarden_signals_total", "signal=\"auth-failure\"") >= 2,
                "smtpd's SASL failure and Dovecot's; not the forged one nor the shell's");
        assertTrue(daemon.log().contains("journal " + dir.resolve("journalctl") + " --follow --output=json"),
                daemon.log());

        daemon.stop();
        String cursor = Files.readString(dir.resolve("state/journal.cursor")).strip();
        assertTrue(cursor.contains(";i=1a2b6;"), "the last entry's cursor saved at shutdown: " + cursor);
        Files.write(dir.resolve("journal.json"), Files.readAllBytes(FIXTURES.resolve("recorded-2.json")),
                StandardOpenOption.APPEND);
        daemon.restart();
        await(() -> lines("event") + lines("ignored") == 2, "the two new entries read after the restart");
        assertEquals(0.0, lines("untrusted"), "no old entry read again");
        assertEquals(1.0, daemon.metric("postwarden_signals_total", "signal=\"auth-failure\""),
                "only the new SASL failure (counters start over with the process)");
        List<String> argv = Files.readAllLines(dir.resolve("argv"));
        assertEquals(2, argv.size(), argv.toString());
        assertTrue(argv.get(0).endsWith("--lines=0"), argv.get(0));
        assertTrue(argv.get(1).endsWith("--after-cursor=" + cursor), argv.get(1));
    }
}
