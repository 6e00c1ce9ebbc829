package org.postwarden.app;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;

/**
 * POSIX signal handlers through the JDK's {@code sun.misc.Signal} (module {@code jdk.unsupported}), reached by
 * reflection: a direct reference draws a "proprietary API" compiler warning that {@code -Werror} turns into an
 * error and that no {@code @SuppressWarnings} silences. The JDK runs each handler on a fresh thread of its own.
 * Where the API is missing (another JVM), registration logs a warning and returns false.
 */
final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    /** Runs {@code action} whenever signal {@code name} ("HUP", "TERM") arrives; true when registered. */
    static boolean handle(String name, Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            InvocationHandler ih = (proxy, method, args) -> switch (method.getName()) {
                case "handle" -> {
                    try {
                        action.run();
                    } catch (RuntimeException e) {
                        LOG.error("SIG{} handler failed", name, e);
                    }
                    yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "postwarden SIG" + name + " handler";
                default -> null;
            };
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass}, ih);
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.warn("cannot handle SIG{} on this JVM ({}); {}", name, e,
                    "HUP".equals(name) ? "use `postwarden ctl reload` instead" : "the JVM's default applies");
            return false;
        }
    }
}
