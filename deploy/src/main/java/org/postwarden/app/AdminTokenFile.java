package org.postwarden.app;

import org.postwarden.config.PostwardenConfig;

import java.nio.file.Path;

/**
 * Where the admin token lives, for the daemon and {@code postwarden ctl} alike: {@code admin.token-file} as
 * written when absolute; a relative one in the state directory, the directory of {@code store.snapshot.path} (the
 * default {@code admin.token} lands next to the snapshot), never in whatever directory the process was started from.
 * Without a snapshot path, relative to the working directory.
 */
public final class AdminTokenFile {
    private AdminTokenFile() {
    }

    /** The token file of {@code config}, or null when the admin API is disabled ({@code admin.token-file: ""}). */
    public static Path of(PostwardenConfig config) {
        String name = config.admin().tokenFile().trim();
        if (name.isEmpty()) {
            return null;
        }
        Path file = Path.of(name);
        if (file.isAbsolute()) {
            return file;
        }
        String snapshot = config.store().snapshot().path().trim();
        Path dir = snapshot.isEmpty() ? null : Path.of(snapshot).getParent();
        return dir == null ? file : dir.resolve(file);
    }
}
