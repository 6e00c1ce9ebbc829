package org.postwarden.authpolicy.codec;

import io.netty.handler.codec.http.HttpHeaders;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The API header Dovecot must send ({@code auth_policy_server_api_header}) and its value, read once from a file at
 * start. Compared in constant time. Immutable and thread-safe.
 */
public final class ApiSecret {
    /** No header required. */
    public static final ApiSecret NONE = new ApiSecret("", new byte[0]);
    private static final int MAX_BYTES = 4096;

    private final String header;
    private final byte[] value;

    private ApiSecret(String header, byte[] value) {
        this.header = header;
        this.value = value;
    }

    /**
     * The secret of {@code header} read from {@code file} (one line; surrounding white space dropped), or
     * {@link #NONE} when the header is "".
     *
     * @throws IllegalStateException naming the key and the file when it cannot be read or is empty
     */
    public static ApiSecret load(String header, String file) {
        if (header == null || header.isEmpty()) {
            return NONE;
        }
        Path p = Path.of(file);
        try {
            if (Files.size(p) > MAX_BYTES) {
                throw new IllegalStateException("auth-policy.api-secret-file " + file + ": larger than " + MAX_BYTES
                        + " bytes (expected the value of " + header + " on one line)");
            }
            String v = Files.readString(p, StandardCharsets.UTF_8).strip();
            if (v.isEmpty()) {
                throw new IllegalStateException("auth-policy.api-secret-file " + file + ": empty (expected the "
                        + "value of " + header + ")");
            }
            return of(header, v);
        } catch (IOException e) {
            throw new org.postwarden.runtime.StartupFailure("auth-policy.api-secret-file", file,
                    "cannot read: " + org.postwarden.runtime.StartupFailure.reason(e), e);
        }
    }

    /** A secret given directly (tests). */
    public static ApiSecret of(String header, String value) {
        return new ApiSecret(header, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether a header is required at all. */
    public boolean required() {
        return !header.isEmpty();
    }

    /** The header's name. */
    public String header() {
        return header;
    }

    /** Whether {@code headers} carry the secret (always true when none is required). */
    public boolean accepts(HttpHeaders headers) {
        if (!required()) {
            return true;
        }
        String got = headers.get(header);
        byte[] g = got == null ? new byte[0] : got.strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(g, value);
    }
}
