package org.postwarden.outbound.queue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.outbound.queue.QueueTestSupport.script;
import static org.postwarden.outbound.queue.QueueTestSupport.settings;

/** The queue commands against shell scripts standing in for postqueue and postsuper. */
class QueueCommandsTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** A postsuper that records its arguments and input and reports {@code report} on standard error. */
    QueueCommands recordingPostsuper(String report) throws IOException {
        List<String> postsuper = script(dir, "postsuper.sh", """
                printf '%s\\n' "$@" > "$DIR/args"
                cat > "$DIR/stdin"
                echo "postsuper: warning: something harmless" >&2
                """ + (report.isEmpty() ? "" : "echo 'postsuper: " + report + "' >&2\n"));
        return new QueueCommands(() -> settings(List.of("false"), postsuper, TIMEOUT));
    }

    @Test
    void holdWritesTheIdsOnStandardInputAndReturnsWhatPostsuperReports() throws Exception {
        QueueCommands commands = recordingPostsuper("Placed on hold: 2 messages");
        assertEquals(2, commands.hold(List.of("4BkT2V3bNzz9vQ1", "D3A1B2C4E5", "4BkT2V3bNzz9vQ1")));
        assertEquals("-h\n-\n", Files.readString(dir.resolve("args")));
        assertEquals("4BkT2V3bNzz9vQ1\nD3A1B2C4E5\n", Files.readString(dir.resolve("stdin")));
    }

    @Test
    void releaseAndDeleteUseTheirOptionsAndCounts() throws Exception {
        assertEquals(1, recordingPostsuper("Released from hold: 1 message").release(List.of("D3A1B2C4E5")));
        assertEquals("-H\n-\n", Files.readString(dir.resolve("args")));
        assertEquals(3, recordingPostsuper("Deleted: 3 messages").delete(List.of("A1", "B2", "C3")));
        assertEquals("-d\n-\n", Files.readString(dir.resolve("args")));
        assertEquals("A1\nB2\nC3\n", Files.readString(dir.resolve("stdin")));
    }

    @Test
    void nothingReportedCountsZeroAndAnotherOperationsReportIsIgnored() throws Exception {
        assertEquals(0, recordingPostsuper("").hold(List.of("D3A1B2C4E5")));
        assertEquals(0, recordingPostsuper("Deleted: 5 messages").hold(List.of("D3A1B2C4E5")));
    }

    @Test
    void noIdsRunsNothing() throws Exception {
        QueueCommands commands = recordingPostsuper("Deleted: 3 messages");
        assertEquals(0, commands.delete(List.of()));
        assertEquals(0, commands.hold(Collections.emptySet()));
        assertFalse(Files.exists(dir.resolve("args")));
    }

    @Test
    void invalidIdsAreRefusedAndNothingRuns() throws Exception {
        QueueCommands commands = recordingPostsuper("Deleted: 1 message");
        for (String bad : new String[] {"", "D3A1;rm", "-d", "../x", "D3A1 B2", "D3A1\nALL", "Ä1B2",
                "A".repeat(QueueCommands.MAX_QUEUE_ID_LENGTH + 1), null}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> commands.delete(Arrays.asList("D3A1B2C4E5", bad)), String.valueOf(bad));
            assertTrue(e.getMessage().startsWith("queue id: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("args")));
        assertTrue(QueueCommands.isQueueId("A".repeat(QueueCommands.MAX_QUEUE_ID_LENGTH)));
    }

    @Test
    void nonZeroExitIsAnIOExceptionNamingCommandStatusAndStandardError() throws Exception {
        List<String> failing = script(dir, "fail.sh", """
                cat > /dev/null
                echo "postsuper: fatal: usage error" >&2
                exit 1
                """);
        QueueCommands commands = new QueueCommands(() -> settings(List.of("false"), failing, TIMEOUT));
        IOException e = assertThrows(IOException.class, () -> commands.hold(List.of("D3A1B2C4E5")));
        assertTrue(e.getMessage().contains("fail.sh, -h, -]"), e.getMessage());
        assertTrue(e.getMessage().contains("exited with status 1"), e.getMessage());
        assertTrue(e.getMessage().contains("postsuper: fatal: usage error"), e.getMessage());
    }

    @Test
    void onlyTheFirstLinesOfStandardErrorAreKept() throws Exception {
        List<String> noisy = script(dir, "noisy.sh", """
                i=0
                while [ $i -lt 100 ]; do echo "line $i" >&2; i=$((i+1)); done
                exit 2
                """);
        QueueCommands commands = new QueueCommands(() -> settings(noisy, List.of("false"), TIMEOUT));
        IOException e = assertThrows(IOException.class, commands::list);
        assertTrue(e.getMessage().contains("line 0 | line 1"), e.getMessage());
        assertTrue(e.getMessage().contains("(+" + (100 - QueueCommands.STDERR_LINES) + " more lines)"),
                e.getMessage());
        assertFalse(e.getMessage().contains("line 99"), e.getMessage());
    }

    @Test
    void aCommandPastItsTimeoutIsKilled() throws Exception {
        List<String> slow = script(dir, "slow.sh", """
                echo $$ > "$DIR/pid"
                echo "postqueue: still thinking" >&2
                sleep 30
                """);
        QueueCommands commands = new QueueCommands(() -> settings(slow, List.of("false"), Duration.ofMillis(500)));
        IOException e = assertThrows(IOException.class, commands::list);
        assertTrue(e.getMessage().contains("timed out after 500 ms and was killed"), e.getMessage());
        if (Files.exists(dir.resolve("pid"))) { // written unless the shell was killed before its first line
            long pid = Long.parseLong(Files.readString(dir.resolve("pid")).strip());
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "script still alive");
        }
    }

    @Test
    void listParsesTheCommandsOutput() throws Exception {
        Files.writeString(dir.resolve("listing"), QueueListingParserTest.DEFERRED + "\n"
                + QueueListingParserTest.BOUNCE + "\nnot json\n");
        List<String> postqueue = script(dir, "postqueue.sh", "cat \"$DIR/listing\"");
        QueueListing l = new QueueCommands(() -> settings(postqueue, List.of("false"), TIMEOUT)).list();
        assertEquals(2, l.messages().size());
        assertEquals(3, l.total());
        assertEquals(1, l.malformed());
    }

    @Test
    void listReadsAtMostMaxMessages() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            sb.append(QueueTestSupport.entry("deferred", "ID" + i, 1_700_000_000L, "a@example.org")).append('\n');
        }
        Files.writeString(dir.resolve("listing"), sb);
        List<String> postqueue = script(dir, "postqueue.sh", "cat \"$DIR/listing\"");
        PostwardenConfig.Queue base = settings(postqueue, List.of("false"), TIMEOUT);
        PostwardenConfig.Queue q = new PostwardenConfig.Queue(true, base.interval(), postqueue, List.of("false"),
                TIMEOUT, 100, 0, Duration.ZERO, 0, 100, 0, Duration.ofHours(1), false);
        QueueListing l = new QueueCommands(() -> q).list();
        assertEquals(100, l.messages().size());
        assertEquals(150, l.total());
        assertTrue(l.truncated());
    }

    @Test
    void mailSystemDownAndMissingCommandAreIOExceptions() throws Exception {
        List<String> down = script(dir, "down.sh", """
                echo "postqueue: fatal: Queue report unavailable - mail system is down" >&2
                exit 69
                """);
        IOException e = assertThrows(IOException.class,
                () -> new QueueCommands(() -> settings(down, List.of("false"), TIMEOUT)).list());
        assertTrue(e.getMessage().contains("exited with status 69: postqueue: fatal: Queue report unavailable"),
                e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> new QueueCommands(
                () -> settings(List.of(dir.resolve("no-such-postqueue").toString()), List.of("false"), TIMEOUT))
                .list());
        assertTrue(missing.getMessage().contains("could not be started"), missing.getMessage());
    }
}
