package org.postwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postwarden replay} as a command: formats, .gz, exit codes. */
class ReplayCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriterPair w = new StringWriterPair();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(w.out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(w.err, true, StandardCharsets.UTF_8));
        int exit = cl.execute(args);
        return new Run(exit, w.out.toString(StandardCharsets.UTF_8), w.err.toString(StandardCharsets.UTF_8));
    }

    static final class StringWriterPair {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
    }

    Path log() throws Exception {
        Path f = dir.resolve("mail.log.1.gz");
        String lines = ("Mar  1 10:00:00 mx postfix/postscreen[1]: PREGREET 11 after 0.1 from [192.0.2.7]:4000: "
                + "EHLO ylmf-pc\\r\\n\n").repeat(3)
                + "Mar  1 10:00:05 mx postfix/smtpd[2]: warning: unknown[192.0.2.8]: SASL LOGIN authentication "
                + "failed: UGFzc3dvcmQ6, sasl_username=admin\n"
                + "Mar  1 10:00:06 mx postfix/qmgr[3]: ABC: removed\n";
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(f))) {
            o.write(lines.getBytes(StandardCharsets.UTF_8));
        }
        return f;
    }

    @Test
    void textReportOfAGzippedLog() throws Exception {
        Run r = run("replay", "--top", "3", log().toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("5 lines"), r.out());
        assertTrue(r.out().contains("PREGREET (talked before the greeting): 3 from 1 addresses"), r.out());
        assertTrue(r.out().contains("192.0.2.7/32"), "the ban it would have issued:\n" + r.out());
        assertTrue(r.out().contains("admin"), r.out());
    }

    @Test
    void jsonForScripts() throws Exception {
        Run r = run("replay", "--format", "json", "--quiet", log().toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(5, j.at("/summary/lines").asLong());
        assertEquals(3, j.at("/categories/pregreet/events").asLong());
        assertEquals("192.0.2.7/32", j.at("/bans/0/network").asText());
        assertEquals("1h", j.at("/bans/0/length").asText());
    }

    @Test
    void errorsHaveTheirExitCodes() throws Exception {
        assertEquals(1, run("replay", dir.resolve("missing.log").toString()).exit());
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "bans: {threshold: -3}\n");
        Run r = run("replay", "--config", bad.toString(), log().toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("bans.threshold"), r.err());
        assertEquals(2, run("replay", "--top", "0", log().toString()).exit());
        assertEquals(2, run("replay").exit(), "a file is required");
    }
}
