package org.postwarden.app.setup;

import org.postwarden.config.PostwardenConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code postwarden setup postfix}: reads the live main.cf with {@code postconf}, prints the changes, applies them
 * with one {@code postconf -e} (after a byte-for-byte backup, main.cf.postwarden-backup), runs {@code postfix check}
 * and restores the backup when that fails. {@code --undo} puts the backup back.
 */
final class PostfixSetup {
    static final String BACKUP = "main.cf.postwarden-backup";

    private final Path dir;
    private final PrintStream out;

    PostfixSetup(Path configDir, PrintStream out) {
        this.dir = configDir;
        this.out = out;
    }

    /** Syslog daemons that write a mail log file from Postfix's syslog lines (Debian's rsyslog, syslog-ng, sysklogd). */
    static final List<Path> SYSLOG_DAEMONS = List.of(Path.of("/usr/sbin/rsyslogd"), Path.of("/usr/sbin/syslog-ng"),
            Path.of("/usr/sbin/syslogd"), Path.of("/sbin/syslogd"));

    /** The Postwarden side of the wiring, from its config and this machine's syslog daemon. */
    static PostfixPlan.Target target(PostwardenConfig cfg) {
        return target(cfg, SYSLOG_DAEMONS.stream().anyMatch(java.nio.file.Files::isExecutable));
    }

    /**
     * Enabled listeners, the ban map, and {@code maillog_file}: when no syslog daemon writes Postfix's log (Debian 12
     * without rsyslog: Postfix logs to the journal only), the journal source is off and the ingester follows files,
     * Postfix writes the first of {@code ingest.files} itself.
     */
    static PostfixPlan.Target target(PostwardenConfig cfg, boolean syslogDaemon) {
        String maillog = !syslogDaemon && !cfg.ingest().journal().enabled() && !cfg.ingest().files().isEmpty()
                ? cfg.ingest().files().get(0) : "";
        return new PostfixPlan.Target(cfg.policy().enabled() ? cfg.policy().listen() : null,
                cfg.milter().enabled() ? cfg.milter().listen() : null, cfg.bans().export().cidrMap(), maillog);
    }

    /** A hint when Postfix's log reaches no source of the ingester at all. */
    static String logHint(PostwardenConfig cfg, boolean syslogDaemon) {
        if (!syslogDaemon && !cfg.ingest().journal().enabled() && cfg.ingest().files().isEmpty()
                && !cfg.ingest().syslog().enabled()) {
            return "note: no syslog daemon here, so Postfix logs to the journal only, and the Postwarden config reads"
                    + " no log: set ingest.journal.enabled: true (PREGREET, SASL and TLS failures are seen only in"
                    + " the log)";
        }
        return null;
    }

    int apply(PostwardenConfig cfg, boolean dryRun) throws Tool.Refused, IOException {
        Path mainCf = mainCf();
        PostfixPlan.Target target = target(cfg);
        if (target.policy() == null && target.milter() == null) {
            throw new Tool.Refused("neither policy nor milter is enabled in the Postwarden config: nothing to wire");
        }
        String hint = logHint(cfg, SYSLOG_DAEMONS.stream().anyMatch(java.nio.file.Files::isExecutable));
        if (hint != null) {
            out.println(hint);
        }
        List<PostfixPlan.Change> changes = PostfixPlan.plan(live(true), explicit(), target, dir.toString());
        if (changes.isEmpty()) {
            out.println(mainCf + ": Postwarden is already wired in; nothing to change");
            return 0;
        }
        out.println("changes to " + mainCf + ":");
        for (PostfixPlan.Change c : changes) {
            out.println("- " + c.name() + " = " + c.before());
            out.println("+ " + c.name() + " = " + c.after());
        }
        Tool.Result overrides = Tool.run(List.of(Tool.exe("postconf"), "-c", dir.toString(), "-P"));
        if (overrides.ok()) {
            PostfixPlan.overrideNotes(overrides.output(), changes).forEach(out::println);
        }
        if (dryRun) {
            out.println("dry run: nothing changed");
            return 0;
        }
        Path backup = dir.resolve(BACKUP);
        boolean newBackup = !Files.exists(backup);
        if (newBackup) {
            Files.copy(mainCf, backup, StandardCopyOption.COPY_ATTRIBUTES);
        } else {
            out.println("keeping the existing backup " + backup + " (main.cf as it was before the first setup)");
        }
        byte[] before = Files.readAllBytes(mainCf);
        List<String> cmd = new ArrayList<>(List.of(Tool.exe("postconf"), "-c", dir.toString(), "-e"));
        for (PostfixPlan.Change c : changes) {
            cmd.add(c.name() + " = " + c.after());
        }
        Tool.Result edit = Tool.run(cmd);
        Tool.Result check = edit.ok() ? Tool.run(List.of(Tool.exe("postfix"), "-c", dir.toString(), "check")) : null;
        if (!edit.ok() || !check.ok() || !check.output().isBlank()) {
            Files.write(mainCf, before);
            if (newBackup) {
                Files.delete(backup);
            }
            throw new Tool.Refused((edit.ok() ? check : edit).describe() + "\n" + mainCf
                    + " is back as it was; nothing was changed");
        }
        out.println("applied; backup in " + backup + ", `postfix check` is clean");
        out.println("now run: postfix" + (isDefault() ? "" : " -c " + dir) + " reload   (undo: postwarden setup"
                + " postfix" + (isDefault() ? "" : " --config-dir " + dir) + " --undo)");
        return 0;
    }

    int undo(boolean dryRun) throws Tool.Refused, IOException {
        Path mainCf = mainCf();
        Path backup = dir.resolve(BACKUP);
        if (!Files.exists(backup)) {
            throw new Tool.Refused("no backup " + backup + ": `setup postfix` did not change this Postfix, nothing"
                    + " to undo");
        }
        Map<String, String> now = live(true);
        String current = Files.readString(mainCf);
        out.println("restoring " + mainCf + " from " + backup
                + (current.equals(Files.readString(backup)) ? " (identical)" : ""));
        if (dryRun) {
            out.println("dry run: nothing changed");
            return 0;
        }
        Files.copy(backup, mainCf, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        Files.delete(backup);
        Map<String, String> after = live(true);
        for (String name : now.keySet()) {
            if (!now.get(name).equals(after.get(name))) {
                out.println("- " + name + " = " + now.get(name));
                out.println("+ " + name + " = " + after.get(name));
            }
        }
        Tool.Result check = Tool.run(List.of(Tool.exe("postfix"), "-c", dir.toString(), "check"));
        if (!check.ok()) {
            out.println("warning: " + check.describe());
        }
        out.println("restored; now run: postfix" + (isDefault() ? "" : " -c " + dir) + " reload");
        return 0;
    }

    private boolean isDefault() {
        return dir.equals(Path.of("/etc/postfix"));
    }

    private Path mainCf() throws Tool.Refused {
        Path mainCf = dir.resolve("main.cf");
        if (!Files.isRegularFile(mainCf)) {
            throw new Tool.Refused(mainCf + " not found: give the Postfix config directory with --config-dir");
        }
        return mainCf;
    }

    /** Values in effect ({@code postconf -h}, expanded with -x when asked). */
    private Map<String, String> live(boolean expand) throws Tool.Refused {
        List<String> names = new ArrayList<>(PostfixPlan.READ);
        names.addAll(PostfixPlan.readAlso());
        Map<String, String> values = new LinkedHashMap<>();
        for (String name : names) {
            List<String> cmd = new ArrayList<>(List.of(Tool.exe("postconf"), "-c", dir.toString()));
            if (expand) {
                cmd.add("-x");
            }
            cmd.addAll(List.of("-h", name));
            Tool.Result r = Tool.run(cmd);
            if (!r.ok() || r.output().contains("warning: ")) {
                if (name.equals(PostfixPlan.BLACKLIST_ACTION) || name.equals(PostfixPlan.DENYLIST_ACTION)) {
                    continue; // only one of the two exists, depending on the version
                }
                throw new Tool.Refused(r.describe());
            }
            values.put(name, r.output().strip());
        }
        return values;
    }

    /** Unexpanded values of the parameters main.cf sets ({@code postconf -n}). */
    private Map<String, String> explicit() throws Tool.Refused {
        Map<String, String> values = new HashMap<>();
        String text = Tool.require(List.of(Tool.exe("postconf"), "-c", dir.toString(), "-n"));
        for (String line : text.split("\n")) {
            int eq = line.indexOf(" = ");
            if (eq > 0) {
                values.put(line.substring(0, eq).strip(), line.substring(eq + 3).strip());
            } else if (line.endsWith(" =")) {
                values.put(line.substring(0, line.length() - 2).strip(), "");
            }
        }
        return values;
    }
}
