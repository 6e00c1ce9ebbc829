package org.postwarden.runtime;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one line a start-up failure prints: key, value, and a reason without class names or stack traces. */
class StartupFailureTest {
    @Test
    void aBindFailureNamesTheKeyAndTheValue() {
        StartupFailure f = StartupFailure.of("policy.listen", "127.0.0.1:10033",
                new BindException("Address already in use"));
        assertEquals("policy.listen 127.0.0.1:10033: address already in use", f.getMessage());
        assertEquals(f.getMessage(), StartupFailure.describe(new IllegalStateException("wrapped", f)));
        assertEquals("ingest.syslog.udp 0.0.0.0:514: cannot assign requested address (not an address of this host)",
                StartupFailure.of("ingest.syslog.udp", "0.0.0.0:514",
                        new BindException("Cannot assign requested address")).getMessage());
    }

    @Test
    void fileFailuresReadLikeTheSystemSaysThem() {
        assertEquals("no such file or directory", StartupFailure.reason(new NoSuchFileException("/x")));
        assertEquals("permission denied", StartupFailure.reason(new AccessDeniedException("/x")));
        assertEquals("is a directory", StartupFailure.reason(new IOException("Is a directory")));
        assertEquals("cannot bind", StartupFailure.reason(new BindException()));
        assertEquals("NullPointerException", StartupFailure.reason(new NullPointerException()));
    }

    @Test
    void otherFailuresAreOneLineToo() {
        assertEquals("two lines", StartupFailure.describe(new IllegalArgumentException("two\nlines")));
        assertEquals("address already in use",
                StartupFailure.describe(new RuntimeException(new BindException("Address already in use"))));
    }
}
