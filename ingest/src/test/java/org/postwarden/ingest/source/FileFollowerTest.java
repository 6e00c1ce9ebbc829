package org.postwarden.ingest.source;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Following files: start, append, rotation, truncation, restart, bounds. Driven by poll(), never sleeps. */
class FileFollowerTest {
    @TempDir
    Path dir;

    final List<String> lines = new ArrayList<>();
    final List<Long> times = new ArrayList<>();
    final List<String> rejected = new ArrayList<>();

    final LineSink sink = new LineSink() {
        @Override
        public void line(String line, long fallbackTime) {
            lines.add(line);
            times.add(fallbackTime);
        }

        @Override
        public void rejected(String reason) {
            rejected.add(reason);
        }
    };

    static void append(Path f, String text) throws IOException {
        Files.writeString(f, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    FileFollower follower(Path f, Offsets offsets) {
        return new FileFollower(f, false, 1024, sink, offsets);
    }

    @Test
    void startsAtTheEndTheFirstTimeThenReadsWhatIsAppended() throws IOException {
        Path log = dir.resolve("mail.log");
        append(log, "old 1\nold 2\n");
        try (FileFollower f = follower(log, Offsets.none())) {
            f.poll();
            assertEquals(List.of(), lines, "history is not replayed on the first start");
            append(log, "new 1\nnew 2\n");
            f.poll();
            assertEquals(List.of("new 1", "new 2"), lines);
            append(log, "partial");
            f.poll();
            assertEquals(2, lines.size(), "a line without its newline waits");
            append(log, " line\r\n");
            f.poll();
            assertEquals("partial line", lines.get(2), "joined, CR dropped");
        }
    }

    @Test
    void aFileThatAppearsLaterIsReadFromItsBeginning() throws IOException {
        Path log = dir.resolve("later.log");
        try (FileFollower f = follower(log, Offsets.none())) {
            f.poll();
            append(log, "first\nsecond\n");
            f.poll();
            assertEquals(List.of("first", "second"), lines);
        }
    }

    @Test
    void rotationFinishesTheOldFileThenReadsTheNewOne() throws IOException {
        Path log = dir.resolve("mail.log");
        append(log, "");
        try (FileFollower f = follower(log, Offsets.none())) {
            f.poll();
            append(log, "a\nb\n");
            f.poll();
            // logrotate: the writer still appends to the renamed file, then a new file appears
            Files.move(log, dir.resolve("mail.log.1"));
            append(dir.resolve("mail.log.1"), "c\nlast without newline");
            f.poll(); // the name is gone: keep reading the old file
            assertEquals(List.of("a", "b", "c"), lines);
            append(log, "d\n");
            f.poll();
            assertEquals(List.of("a", "b", "c", "last without newline", "d"), lines);
        }
    }

    @Test
    void truncationStartsOverFromTheBeginning() throws IOException {
        Path log = dir.resolve("mail.log");
        append(log, "");
        try (FileFollower f = follower(log, Offsets.none())) {
            f.poll();
            append(log, "one long line before copytruncate\n");
            f.poll();
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
            append(log, "x\n");
            f.poll();
            assertEquals(List.of("one long line before copytruncate", "x"), lines);
        }
    }

    @Test
    void aRestartResumesWhereItLeftOff() throws IOException {
        Path log = dir.resolve("mail.log");
        Path state = dir.resolve("state/ingest.offsets");
        append(log, "before first start\n");
        try (FileFollower f = follower(log, Offsets.load(state))) {
            f.poll();
            append(log, "seen 1\n");
            f.poll();
        }
        // the follower saves through its Offsets; the listener writes them at shutdown
        Offsets saved = Offsets.load(state);
        assertTrue(saved.get(log.toAbsolutePath().toString()) == null, "nothing written without save()");
        Offsets o = Offsets.load(state);
        try (FileFollower f = follower(log, o)) {
            f.poll();
            append(log, "seen 2\n");
            f.poll();
            o.save();
        }
        append(log, "while down 1\nwhile down 2\n");
        try (FileFollower f = follower(log, Offsets.load(state))) {
            f.poll();
        }
        assertEquals(List.of("seen 1", "seen 2", "while down 1", "while down 2"), lines);
    }

    @Test
    void aFileReplacedWhileDownIsReadFromItsBeginning() throws IOException {
        Path log = dir.resolve("mail.log");
        Path state = dir.resolve("offsets");
        append(log, "x\n");
        Offsets o = Offsets.load(state);
        try (FileFollower f = follower(log, o)) {
            f.poll();
            o.save();
        }
        Files.move(log, dir.resolve("mail.log.1"));
        append(log, "new file 1\nnew file 2\n");
        try (FileFollower f = follower(log, Offsets.load(state))) {
            f.poll();
        }
        assertEquals(List.of("new file 1", "new file 2"), lines);
    }

    @Test
    void overLongLinesAreSkippedToTheirNewlineAndReported() throws IOException {
        Path log = dir.resolve("mail.log");
        append(log, "");
        try (FileFollower f = follower(log, Offsets.none())) {
            f.poll();
            append(log, "ok 1\n" + "A".repeat(5000));
            f.poll();
            append(log, "B".repeat(100_000) + "\nok 2\n" + "C".repeat(1025) + "\nok 3\n");
            f.poll();
            assertEquals(List.of("ok 1", "ok 2", "ok 3"), lines);
            assertEquals(List.of("too-long", "too-long"), rejected);
        }
    }

    @Test
    void binaryGarbageIsBoundedToo() throws IOException {
        Path log = dir.resolve("bin.log");
        append(log, "");
        byte[] junk = new byte[300_000];
        new java.util.Random(1).nextBytes(junk);
        try (FileFollower f = follower(log, Offsets.none())) {
            f.poll();
            Files.write(log, junk, StandardOpenOption.APPEND);
            f.poll();
            assertTrue(lines.stream().allMatch(l -> l.length() <= 1024 * 3));
        }
    }

    @Test
    void aLargeBacklogIsReadInBoundedSlices() throws IOException {
        Path log = dir.resolve("big.log");
        append(log, "");
        String line = "x".repeat(99) + "\n";
        try (FileFollower f = new FileFollower(log, false, 1024, sink, Offsets.none())) {
            f.poll();
            append(log, line.repeat(FileFollower.MAX_BYTES_PER_POLL / 100 + 50_000));
            assertTrue(f.poll(), "stopped at the budget: more to read");
            assertFalse(f.poll(), "then the rest");
            assertEquals(FileFollower.MAX_BYTES_PER_POLL / 100 + 50_000, lines.size());
        }
    }

    @Test
    void dockerJsonLinesAreDecodedAndSplitEntriesJoined() throws IOException {
        Path log = dir.resolve("c-json.log");
        append(log, "");
        try (FileFollower f = new FileFollower(log, true, 1024, sink, Offsets.none())) {
            f.poll();
            append(log, """
                    {"log":"Nov 22 10:00:01 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\\n","stream":"stdout","time":"2025-11-22T10:00:01.5Z"}
                    {"log":"first half ","stream":"stdout","time":"2025-11-22T10:00:02Z"}
                    {"log":"second half\\n","stream":"stdout","time":"2025-11-22T10:00:02Z"}
                    not json at all
                    {"stream":"stdout"}
                    """);
            f.poll();
        }
        assertEquals(List.of("Nov 22 10:00:01 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]",
                "first half second half"), lines);
        assertEquals(java.time.Instant.parse("2025-11-22T10:00:01.500Z").toEpochMilli(), times.get(0));
        assertEquals(List.of("malformed", "malformed"), rejected);
    }
}
