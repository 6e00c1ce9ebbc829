package org.postwarden.app;

import org.postwarden.config.ConfigException;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.daemon.Engines;
import org.postwarden.ingest.replay.Replay;
import org.postwarden.ingest.replay.ReplayReport;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code postwarden replay [--config FILE] [--format text|json] [--top N] [--quiet] FILE...}: reads old Postfix and
 * Dovecot logs (plain, gzip, Docker json-file) through the live parsers and ban policy, and prints the attack report
 * and the bans the configuration would have issued. Progress goes to stderr for files over 16 MiB.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, description = "Replay Postfix/Dovecot logs (plain, .gz, "
        + "Docker json-file) through the parsers and ban policy of the configuration: per category (PREGREET, SASL, "
        + "TLS, relay, HELO, ...) the top addresses, networks and users with counts and first/last seen, and the bans "
        + "that configuration would have issued. Files are read oldest first.")
final class ReplayCommand implements Callable<Integer> {
    enum Format { text, json }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML config laid over the default")
    Path config;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default) or json")
    Format format;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10", description = "rows per table (default 10)")
    int top;

    @Option(names = {"-q", "--quiet"}, description = "no progress on stderr")
    boolean quiet;

    @Option(names = "--verbose", description = "log every ban and alert on stderr while replaying")
    boolean verbose;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "log files (plain, .gz or Docker json-file)")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PostwardenConfig cfg;
        try {
            cfg = Main.load(config);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return 2;
        }
        for (Path f : files) {
            if (!Files.isReadable(f) || Files.isDirectory(f)) {
                err.println("replay: cannot read " + f);
                return 1;
            }
        }
        if (top < 1 || top > 10_000) {
            err.println("replay: --top = " + top + " (expected: 1 to 10000)");
            return 2;
        }
        // the report lists bans and alerts; their log lines would only repeat them on stderr
        Runnable restore = verbose ? () -> { } : quiet("org.postwarden");
        try {
            ReplayReport report = new Replay(cfg, Engines::offline, quiet ? null : line -> {
                err.println(line);
                err.flush();
            }).run(files);
            out.print(format == Format.json ? report.toJson(top) : report.toText(top));
            out.flush();
            return 0;
        } catch (IOException e) {
            err.println("replay: " + e);
            return 1;
        } finally {
            restore.run();
        }
    }

    /** Turns {@code logger} off; returns what restores its level. */
    private static Runnable quiet(String logger) {
        if (LoggerFactory.getLogger(logger) instanceof ch.qos.logback.classic.Logger l) {
            ch.qos.logback.classic.Level before = l.getLevel();
            l.setLevel(ch.qos.logback.classic.Level.OFF);
            return () -> l.setLevel(before);
        }
        return () -> { };
    }
}
