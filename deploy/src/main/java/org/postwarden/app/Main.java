package org.postwarden.app;

import org.postwarden.config.ConfigException;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.daemon.Daemon;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.runtime.StartupFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The {@code postwarden} command line. */
@Command(name = "postwarden", mixinStandardHelpOptions = true, version = "postwarden 0.1.0",
        description = "Inline abuse control for Postfix: policy server, milter and log ingester on one reputation store.",
        subcommands = {Main.Run.class, Main.CheckConfig.class, Main.DefaultConfig.class, org.postwarden.app.ctl.Ctl.class,
            ReplayCommand.class, org.postwarden.app.setup.Setup.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static PostwardenConfig load(Path config) throws ConfigException {
        return config == null ? ConfigLoader.loadDefault() : ConfigLoader.load(config);
    }

    /** {@code postwarden run [--config FILE]}. */
    @Command(name = "run", description = "Run the daemon (embedded default config without --config).")
    static final class Run implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML config laid over the default")
        Path config;

        @Override
        public Integer call() throws Exception {
            Logger log = LoggerFactory.getLogger(Main.class);
            PostwardenConfig cfg;
            try {
                cfg = load(config);
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return 2;
            }
            log.info("starting postwarden with {}", config == null ? "the embedded default config" : config);
            Daemon daemon;
            try {
                daemon = DaemonLauncher.start(config, cfg, TimeSource.SYSTEM, PostwardenMetrics.prometheus());
            } catch (Exception e) {
                // one line naming the key and the value (a port in use, an unreadable file); the trace at DEBUG
                log.debug("start-up failed", e);
                System.err.println("postwarden: cannot start: " + StartupFailure.describe(e));
                return 1;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "postwarden-shutdown"));
            daemon.awaitStopped();
            return 0;
        }
    }

    /** {@code postwarden check-config FILE}. */
    @Command(name = "check-config", description = "Validate a config file; lists every error, exit 0 when valid.")
    static final class CheckConfig implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() {
            try {
                ConfigLoader.load(file);
                System.out.println(file + ": OK");
                return 0;
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return 1;
            }
        }
    }

    /** {@code postwarden default-config}. */
    @Command(name = "default-config", description = "Print the embedded default configuration (annotated).")
    static final class DefaultConfig implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.print(ConfigLoader.defaultText());
            return 0;
        }
    }
}
