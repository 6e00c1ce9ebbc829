package org.postwarden.app;

import org.postwarden.config.PostwardenConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * The admin API's bearer token: read from {@code admin.token-file} (its first line; a relative path lies in the
 * state directory, see {@link AdminTokenFile}), created with a random 256-bit token and mode 0600 when missing. The
 * file must be a regular file (never a symbolic link) owned by the daemon's user or root, writable by its owner only,
 * in a directory nobody else may write to. Requests are checked by comparing SHA-256 digests of the presented and the real
 * token with {@link MessageDigest#isEqual} (constant time, and the same length whatever is presented). The token
 * itself is never logged.
 *
 * <p>States: enabled; disabled ({@code admin.token-file: ""}, answered 403); unavailable (the file cannot be read or
 * created, holds a token shorter than {@value #MIN_LENGTH} characters, is a link, has the wrong owner, is readable by
 * every local user or writable by others, or lies in a directory others may write to — answered 503 with the
 * reason). Fail closed: a broken token file never opens the API. Thread-safe: the state is one volatile
 * immutable value, replaced on reload.
 */
final class AdminAuth {
    static final int MIN_LENGTH = 16;
    private static final int MAX_FILE_BYTES = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(AdminAuth.class);

    /** What a request gets: OK, or a status and a message. */
    record Outcome(int status, String message) {
        static final Outcome OK = new Outcome(200, "");

        boolean ok() {
            return status == 200;
        }
    }

    private record State(Outcome refusal, byte[] digest, String file) {
    }

    private volatile State state;

    AdminAuth(PostwardenConfig config) {
        this.state = load(config);
    }

    /** Re-reads the token file (rotation: write a new token, then reload). */
    void reload(PostwardenConfig config) {
        this.state = load(config);
    }

    /** The token file in use, or "" when the admin API is disabled. */
    String file() {
        return state.file();
    }

    /** Checks an {@code Authorization} header value (may be null). */
    Outcome check(String authorization) {
        State s = state;
        if (s.refusal() != null) {
            return s.refusal();
        }
        if (authorization == null || authorization.length() < 7
                || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return new Outcome(401, "missing bearer token (send Authorization: Bearer <token from " + s.file() + ">)");
        }
        byte[] presented = sha256(authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8));
        return MessageDigest.isEqual(presented, s.digest()) ? Outcome.OK
                : new Outcome(401, "wrong bearer token (see " + s.file() + ")");
    }

    private static State load(PostwardenConfig config) {
        Path file = AdminTokenFile.of(config);
        if (file == null) {
            return new State(new Outcome(403, "admin API disabled (admin.token-file is empty)"), null, "");
        }
        String name = file.toString();
        try {
            if (Files.isSymbolicLink(file)) {
                String m = "admin.token-file " + file + " is a symbolic link: the token must be a file of its own "
                        + "(whoever can change the link's target chooses the token); remove the link";
                LOG.error("admin API unavailable: {}", m);
                return new State(new Outcome(503, "admin API unavailable: " + m), null, name);
            }
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                create(file);
                LOG.info("admin token created in {} (mode 0600); `postwarden ctl` reads it from there", file);
            }
            String refusal = permissionProblem(file);
            if (refusal != null) {
                LOG.error("admin API unavailable: {}", refusal);
                return new State(new Outcome(503, "admin API unavailable: " + refusal), null, name);
            }
            String token = read(file);
            if (token.length() < MIN_LENGTH) {
                String m = "the token in " + file + " is shorter than " + MIN_LENGTH + " characters (delete the file"
                        + " and restart or reload to get a random one)";
                LOG.error("admin API unavailable: {}", m);
                return new State(new Outcome(503, "admin API unavailable: " + m), null, name);
            }
            return new State(null, sha256(token.getBytes(StandardCharsets.UTF_8)), name);
        } catch (IOException | RuntimeException e) {
            String m = "cannot read or create admin.token-file " + file + ": " + e;
            LOG.error("admin API unavailable: {}", m);
            return new State(new Outcome(503, "admin API unavailable: " + m), null, name);
        }
    }

    /** Writes a new random token atomically, readable by the owner only. */
    static void create(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir) && Files.getFileAttributeView(dir.getRoot(), PosixFileAttributeView.class) != null) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = HexFormat.of().formatHex(random) + "\n";
        boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
        Path tmp = posix
                ? Files.createTempFile(dir, ".admin-token", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, ".admin-token", ".tmp");
        try {
            Files.writeString(tmp, token, StandardCharsets.US_ASCII);
            try {
                // a hard link fails when the file appeared meanwhile: never replace a token someone wrote
                Files.createLink(file, tmp);
            } catch (UnsupportedOperationException e) {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                LOG.debug("admin token file appeared meanwhile; keeping it");
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Why {@code file} cannot hold the token, or null: it must be a regular file (not a link), owned by the daemon's
     * user (or root), writable by its owner only, not readable by every local user, in a directory owned by the
     * daemon's user (or root) that nobody else may write to (else they could replace the file).
     */
    static String permissionProblem(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return file + " is not a regular file";
        }
        if (Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
            return null;
        }
        String me = System.getProperty("user.name", "");
        String owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
        if (!owner.equals(me) && !owner.equals("root")) {
            return file + " is owned by " + owner + ", not by " + (me.equals("root") ? "root" : me
                    + " (the daemon's user) or root") + ": chown " + me + " " + file + ", then reload";
        }
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
            return file + " is writable by others than its owner: chmod 600 " + file + ", then reload";
        }
        Path dir = file.toAbsolutePath().getParent();
        String dirOwner = Files.getOwner(dir).getName();
        if (!dirOwner.equals(me) && !dirOwner.equals("root")) {
            return "the directory " + dir + " of the token file is owned by " + dirOwner + ", not by " + me
                    + " or root: whoever owns it can replace the token";
        }
        Set<PosixFilePermission> d = Files.getPosixFilePermissions(dir);
        if (d.contains(PosixFilePermission.GROUP_WRITE) || d.contains(PosixFilePermission.OTHERS_WRITE)) {
            return "the directory " + dir + " of the token file is writable by others than its owner (chmod go-w "
                    + dir + "): they could replace the token";
        }
        if (p.contains(PosixFilePermission.OTHERS_READ)) {
            return file + " is readable by every local user: chmod 600 " + file + ", then reload";
        }
        if (p.contains(PosixFilePermission.GROUP_READ)) {
            LOG.warn("admin token file {} is readable by its group: everyone in it can use the admin API", file);
        }
        return null;
    }

    private static String read(Path file) throws IOException {
        byte[] b;
        try (InputStream in = Files.newInputStream(file)) {
            b = in.readNBytes(MAX_FILE_BYTES);
        }
        String text = new String(b, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        return (nl < 0 ? text : text.substring(0, nl)).trim();
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
