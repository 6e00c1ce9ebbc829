package org.postwarden.milter;

import org.nightcode.milter.util.Log;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Routes jmilter's own logging (by default debug and info to stdout, warnings to stderr, whatever the daemon's
 * logging configuration says) through SLF4J, under jmilter's class names, at the matching levels. Postwarden only
 * uses jmilter's codec and protocol vocabulary, which hardly log; this keeps stdout clean should any of it do.
 */
final class JmilterLogging {
    private static volatile boolean installed;

    private JmilterLogging() {
    }

    static synchronized void install() {
        if (!installed) {
            Log.setLoggingHandler(new Slf4j(Level.DEBUG), new Slf4j(Level.INFO), new Slf4j(Level.WARN),
                    new Slf4j(Level.ERROR), new Slf4j(Level.ERROR));
            installed = true;
        }
    }

    private enum Level { DEBUG, INFO, WARN, ERROR }

    private record Slf4j(Level level) implements Log.LoggingHandler {
        private boolean enabled(Logger l) {
            return switch (level) {
                case DEBUG -> l.isDebugEnabled();
                case INFO -> l.isInfoEnabled();
                case WARN -> l.isWarnEnabled();
                case ERROR -> l.isErrorEnabled();
            };
        }

        private void emit(Logger l, String message, Throwable thrown) {
            switch (level) {
                case DEBUG -> l.debug(message, thrown);
                case INFO -> l.info(message, thrown);
                case WARN -> l.warn(message, thrown);
                case ERROR -> l.error(message, thrown);
            }
        }

        @Override
        public void log(Class<?> clazz, String message) {
            log(clazz, () -> message, null);
        }

        @Override
        public void log(Class<?> clazz, String message, Object... params) {
            Logger l = LoggerFactory.getLogger(clazz);
            if (enabled(l)) {
                emit(l, org.slf4j.helpers.MessageFormatter.arrayFormat(message, params).getMessage(), null);
            }
        }

        @Override
        public void log(Class<?> clazz, String message, Throwable thrown) {
            log(clazz, () -> message, thrown);
        }

        @Override
        public void log(Class<?> clazz, Supplier<String> supplier, Throwable thrown) {
            Logger l = LoggerFactory.getLogger(clazz);
            if (enabled(l)) {
                emit(l, supplier.get(), thrown);
            }
        }
    }
}
