package org.postwarden.app.setup;

import org.postwarden.config.ConfigException;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code postwarden setup postfix|dovecot [--config-dir DIR] [--dry-run] [--undo]}. */
@Command(name = "setup", description = {"Wire Postwarden into the local Postfix or Dovecot.",
    "Exit status: 0 done (or nothing to do), 1 refused (nothing changed), 2 usage."},
        subcommands = {Setup.Postfix.class, Setup.Dovecot.class}, mixinStandardHelpOptions = true)
public final class Setup implements Runnable {
    static final Path PACKAGE_CONFIG = Path.of("/etc/postwarden/postwarden.yaml");

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options both subcommands share. */
    abstract static class Common implements Callable<Integer> {
        @Option(names = "--dry-run", description = "Print the changes, change nothing")
        boolean dryRun;

        @Option(names = "--undo", description = "Take back what setup changed")
        boolean undo;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "Postwarden's config: which listeners to wire (default: " + "/etc/postwarden/postwarden.yaml"
                        + " when it exists, else the embedded default)")
        Path config;

        PostwardenConfig postwarden() throws ConfigException {
            Path file = config != null ? config : Files.exists(PACKAGE_CONFIG) ? PACKAGE_CONFIG : null;
            return file == null ? ConfigLoader.loadDefault() : ConfigLoader.load(file);
        }

        abstract int apply(boolean dry) throws Tool.Refused, IOException, ConfigException;

        abstract int undo(boolean dry) throws Tool.Refused, IOException;

        @Override
        public Integer call() throws IOException {
            try {
                return undo ? undo(dryRun) : apply(dryRun);
            } catch (Tool.Refused e) {
                System.err.println("refused: " + e.getMessage());
                return 1;
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return 1;
            }
        }
    }

    /** {@code setup postfix}. */
    @Command(name = "postfix", mixinStandardHelpOptions = true, description = {
        "Add the policy service (first in smtpd_relay_restrictions, and at end of data), the milter (appended to",
        "smtpd_milters) and, with bans.export.cidr-map, the postscreen ban map to main.cf with postconf -e;",
        "backup main.cf.postwarden-backup, then postfix check."})
    static final class Postfix extends Common {
        @Option(names = "--config-dir", paramLabel = "DIR", defaultValue = "/etc/postfix",
                description = "Postfix's config directory (default: ${DEFAULT-VALUE})")
        Path dir;

        @Override
        int apply(boolean dry) throws Tool.Refused, IOException, ConfigException {
            return new PostfixSetup(dir, System.out).apply(postwarden(), dry);
        }

        @Override
        int undo(boolean dry) throws Tool.Refused, IOException {
            return new PostfixSetup(dir, System.out).undo(dry);
        }
    }

    /** {@code setup dovecot}. */
    @Command(name = "dovecot", mixinStandardHelpOptions = true, description = {
        "Write conf.d/" + DovecotSetup.FILE + " (auth_policy_server_url of auth-policy.listen, a generated",
        "auth_policy_hash_nonce), checked with doveconf. Needs auth-policy.enabled: true."})
    static final class Dovecot extends Common {
        @Option(names = "--config-dir", paramLabel = "DIR", defaultValue = "/etc/dovecot",
                description = "Dovecot's config directory (default: ${DEFAULT-VALUE})")
        Path dir;

        @Override
        int apply(boolean dry) throws Tool.Refused, IOException, ConfigException {
            return new DovecotSetup(dir, System.out).apply(postwarden(), dry);
        }

        @Override
        int undo(boolean dry) throws Tool.Refused, IOException {
            return new DovecotSetup(dir, System.out).undo(dry);
        }
    }
}
