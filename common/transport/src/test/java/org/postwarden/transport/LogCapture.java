package org.postwarden.transport;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;

/** Captures one class's log lines (debug included) as "LEVEL message" while open. */
final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final Level level;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture(Class<?> of) {
        logger = (Logger) LoggerFactory.getLogger(of);
        level = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        appender.start();
        logger.addAppender(appender);
    }

    /** Every line so far, as "LEVEL formatted message". */
    List<String> lines() {
        return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
    }

    /** Whether the last line logged carried a throwable. */
    boolean lastHasThrowable() {
        return !appender.list.isEmpty() && appender.list.get(appender.list.size() - 1).getThrowableProxy() != null;
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(level);
    }
}
