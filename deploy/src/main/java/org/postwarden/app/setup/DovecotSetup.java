package org.postwarden.app.setup;

import org.postwarden.config.PostwardenConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code postwarden setup dovecot}: writes conf.d/95-postwarden-auth-policy.conf (the commented template of
 * deploy/dovecot with this Postwarden's auth-policy address, a generated hash nonce and, when configured, the API
 * header), checks the result with {@code doveconf}; {@code --undo} removes the file again.
 */
final class DovecotSetup {
    static final String FILE = "95-postwarden-auth-policy.conf";
    static final String MARKER = "# Written by `postwarden setup dovecot`; `postwarden setup dovecot --undo` removes it.";
    private static final Pattern INCLUDE = Pattern.compile("(?m)^\\s*!include(_try)?\\s+conf\\.d/\\*\\.conf\\s*$");

    private final Path dir;
    private final PrintStream out;

    DovecotSetup(Path configDir, PrintStream out) {
        this.dir = configDir;
        this.out = out;
    }

    int apply(PostwardenConfig cfg, boolean dryRun) throws Tool.Refused, IOException {
        PostwardenConfig.AuthPolicy ap = cfg.authPolicy();
        if (!ap.enabled()) {
            throw new Tool.Refused("auth-policy.enabled is false in the Postwarden config: there is no listener"
                    + " for Dovecot to ask; set auth-policy: {enabled: true} first");
        }
        Path conf = dovecotConf();
        Path file = dir.resolve("conf.d").resolve(FILE);
        if (Files.exists(file)) {
            if (!Files.readString(file).startsWith(MARKER)) {
                throw new Tool.Refused(file + " exists and was not written by setup; nothing was changed");
            }
            out.println(file + ": Postwarden is already wired in; nothing to change");
            return 0;
        }
        String current = doveconf(conf, "auth_policy_server_url");
        if (!current.isEmpty()) {
            throw new Tool.Refused("auth_policy_server_url is already " + current + " in " + conf
                    + "; nothing was changed (remove that setting first, or wire by hand)");
        }
        String text = render(ap, apiSecret(ap));
        out.println("new file " + file + ":");
        text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).forEach(l -> out.println("+ " + l));
        if (dryRun) {
            out.println("dry run: nothing changed");
            return 0;
        }
        Path tmp = file.resolveSibling("." + FILE + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        // the nonce (and an API secret) are for Dovecot only: rw for root, r for the conf.d directory's group
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r-----"));
        GroupPrincipal group = Files.readAttributes(file.getParent(), PosixFileAttributes.class).group();
        Files.getFileAttributeView(tmp, PosixFileAttributeView.class).setGroup(group);
        Files.move(tmp, file);
        Tool.Result check = Tool.run(List.of(Tool.exe("doveconf"), "-c", conf.toString(), "-h",
                "auth_policy_server_url"));
        if (!check.ok() || !check.output().strip().equals(url(ap.listen()))) {
            Files.delete(file);
            throw new Tool.Refused(check.describe() + "\n" + file + " removed again; nothing was changed");
        }
        out.println("written; doveconf reads auth_policy_server_url = " + check.output().strip());
        out.println("now run: doveadm reload   (undo: postwarden setup dovecot"
                + (dir.equals(Path.of("/etc/dovecot")) ? "" : " --config-dir " + dir) + " --undo)");
        return 0;
    }

    int undo(boolean dryRun) throws Tool.Refused, IOException {
        Path conf = dovecotConf();
        Path file = dir.resolve("conf.d").resolve(FILE);
        if (!Files.exists(file)) {
            throw new Tool.Refused(file + " does not exist: nothing to undo");
        }
        if (!Files.readString(file).startsWith(MARKER)) {
            throw new Tool.Refused(file + " was not written by setup; left alone");
        }
        out.println("removing " + file);
        if (dryRun) {
            out.println("dry run: nothing changed");
            return 0;
        }
        Files.delete(file);
        out.println("removed; doveconf reads auth_policy_server_url = \"" + doveconf(conf, "auth_policy_server_url")
                + "\"; now run: doveadm reload");
        return 0;
    }

    static String url(String listen) {
        return "http://" + listen + "/";
    }

    /** The template with the address, a fresh nonce and the API header filled in. */
    static String render(PostwardenConfig.AuthPolicy ap, String secret) throws IOException {
        String template;
        try (InputStream in = DovecotSetup.class.getResourceAsStream(FILE)) {
            if (in == null) {
                throw new IOException("template " + FILE + " missing from the jar");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        String text = template
                .replaceFirst("(?m)^auth_policy_server_url = .*$",
                        Matcher.quoteReplacement("auth_policy_server_url = " + url(ap.listen())))
                .replaceFirst("(?m)^auth_policy_hash_nonce = .*$",
                        "auth_policy_hash_nonce = " + HexFormat.of().formatHex(nonce));
        if (secret != null) {
            text = text.replaceFirst("(?m)^#auth_policy_server_api_header = .*$", Matcher.quoteReplacement(
                    "auth_policy_server_api_header = " + ap.apiHeader() + ": " + secret));
        }
        return MARKER + "\n" + text;
    }

    private static String apiSecret(PostwardenConfig.AuthPolicy ap) throws Tool.Refused {
        if (ap.apiSecretFile() == null || ap.apiSecretFile().isBlank()) {
            return null;
        }
        try {
            String first = Files.readString(Path.of(ap.apiSecretFile())).lines().findFirst().orElse("").strip();
            if (first.isEmpty()) {
                throw new Tool.Refused("auth-policy.api-secret-file " + ap.apiSecretFile() + " is empty");
            }
            return first;
        } catch (IOException e) {
            throw new Tool.Refused("cannot read auth-policy.api-secret-file " + ap.apiSecretFile() + ": " + e);
        }
    }

    private Path dovecotConf() throws Tool.Refused, IOException {
        Path conf = dir.resolve("dovecot.conf");
        if (!Files.isRegularFile(conf)) {
            throw new Tool.Refused(conf + " not found: give Dovecot's config directory with --config-dir");
        }
        if (!Files.isDirectory(dir.resolve("conf.d")) || !INCLUDE.matcher(Files.readString(conf)).find()) {
            throw new Tool.Refused(conf + " does not include conf.d/*.conf (Debian's layout): setup does not know"
                    + " where to put the settings; nothing was changed. Copy deploy/dovecot/" + FILE + " by hand");
        }
        return conf;
    }

    private static String doveconf(Path conf, String name) throws Tool.Refused {
        return Tool.require(List.of(Tool.exe("doveconf"), "-c", conf.toString(), "-h", name)).strip();
    }
}
