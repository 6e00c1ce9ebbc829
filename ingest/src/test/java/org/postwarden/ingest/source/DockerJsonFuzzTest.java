package org.postwarden.ingest.source;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes Docker's JSON log lines with Jazzer (regression mode over {@code DockerJsonFuzzTestInputs/<method>/} in
 * {@code ./mvnw verify}; {@code JAZZER_FUZZ=1} fuzzes, see docs/fuzzing.md): the bytes go through the bounded line
 * splitter a file follower uses, and each line through the decoder, which answers a line within the bound, a
 * partial line, malformed or too long, never an exception.
 */
class DockerJsonFuzzTest {
    static final int MAX = 2048;

    @FuzzTest(maxDuration = "5m")
    void jsonLinesDecodeWithinTheBound(byte[] input) {
        List<String> lines = new ArrayList<>();
        int[] tooLong = {0};
        LineSplitter splitter = new LineSplitter(MAX, new LineSplitter.Lines() {
            @Override
            public void line(String line) {
                lines.add(line);
            }

            @Override
            public void tooLong() {
                tooLong[0]++;
            }
        });
        for (int at = 0; at < input.length; at += 100) {
            splitter.feed(input, at, Math.min(100, input.length - at));
        }
        assertTrue(splitter.consumed() <= input.length);
        DockerJsonDecoder decoder = new DockerJsonDecoder(MAX);
        for (String json : lines) {
            assertTrue(json.length() <= MAX, "a line beyond the splitter's bound");
            DockerJsonDecoder.Result r = decoder.decode(json);
            assertNotNull(r);
            if (r == DockerJsonDecoder.Result.LINE) {
                assertTrue(decoder.line().length() <= MAX, "a decoded line beyond the bound");
            }
        }
        new String(input, StandardCharsets.UTF_8).lines().limit(64).forEach(decoder::decode);
    }
}
