package org.postwarden.app;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the admin token lives, and which token files are refused (owner, mode, directory, links). */
class AdminTokenFileTest {
    static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    PostwardenConfig config(String tokenFile, String snapshot) throws Exception {
        return ConfigLoader.load("t", "store: {snapshot: {path: \"" + snapshot + "\"}}\nadmin: {token-file: \""
                + tokenFile + "\"}\n");
    }

    AdminAuth.Outcome check(Path file) throws Exception {
        return new AdminAuth(config(file.toString(), "")).check("Bearer " + TOKEN);
    }

    Path token(String mode) throws Exception {
        Path d = Files.createDirectories(dir.resolve("state"));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        Path f = d.resolve("admin.token");
        Files.writeString(f, TOKEN + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void aRelativePathLiesInTheStateDirectoryNotTheWorkingDirectory() throws Exception {
        Path snapshot = dir.resolve("var/lib/pw/postwarden.snapshot");
        assertEquals(dir.resolve("var/lib/pw/admin.token"), AdminTokenFile.of(config("admin.token",
                snapshot.toString())));
        assertEquals(Path.of("/etc/pw/tok"), AdminTokenFile.of(config("/etc/pw/tok", snapshot.toString())));
        // the embedded default: admin.token next to state/postwarden.snapshot
        assertEquals(Path.of("state/admin.token"), AdminTokenFile.of(ConfigLoader.loadDefault()));
        assertEquals(null, AdminTokenFile.of(config("", snapshot.toString())));
        // created there, owner-only, directory included
        AdminAuth auth = new AdminAuth(config("admin.token", snapshot.toString()));
        Path made = dir.resolve("var/lib/pw/admin.token");
        assertTrue(Files.isRegularFile(made));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(made)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(made.getParent())));
        assertTrue(auth.check("Bearer " + Files.readString(made).trim()).ok());
    }

    @Test
    void anOwnerOnlyFileInAPrivateDirectoryIsAccepted() throws Exception {
        assertTrue(check(token("rw-------")).ok());
        assertTrue(check(token("r--------")).ok());
    }

    @Test
    void aSymbolicLinkIsRefusedEvenToAGoodFile() throws Exception {
        Path real = token("rw-------");
        Path link = Files.createSymbolicLink(dir.resolve("state/link.token"), real);
        AdminAuth.Outcome o = check(link);
        assertEquals(503, o.status());
        assertTrue(o.message().contains("symbolic link"), o.message());
    }

    @Test
    void aFileOthersMayWriteIsRefused() throws Exception {
        AdminAuth.Outcome o = check(token("rw--w----"));
        assertEquals(503, o.status());
        assertTrue(o.message().contains("writable by others than its owner"), o.message());
        assertEquals(503, check(token("rw-----w-")).status());
    }

    @Test
    void aDirectoryOthersMayWriteIsRefused() throws Exception {
        Path f = token("rw-------");
        Files.setPosixFilePermissions(f.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        AdminAuth.Outcome o = check(f);
        assertEquals(503, o.status());
        assertTrue(o.message().contains("directory") && o.message().contains("replace the token"), o.message());
    }

    @Test
    void aFileOfAnotherUserIsRefused() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "chown needs root");
        Path f = token("rw-------");
        UserPrincipal nobody = f.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(f, nobody);
        AdminAuth.Outcome o = check(f);
        assertEquals(503, o.status());
        assertTrue(o.message().contains("owned by nobody"), o.message());
        assertFalse(o.ok());
    }
}
