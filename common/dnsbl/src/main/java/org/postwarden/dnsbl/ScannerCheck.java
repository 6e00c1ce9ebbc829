package org.postwarden.dnsbl;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Recognises research scanners (shodan, censys, shadowserver, ...) by forward-confirmed reverse DNS. Asked by
 * the engine only when a ban is due, never per log line. Implementations are asynchronous, cached and
 * thread-safe; a lookup that fails or times out completes with "not a scanner" (it never fails the stage).
 */
public interface ScannerCheck {

    /** Completes with the scanner's confirmed host name, or empty when {@code address} is not a known scanner. */
    CompletionStage<Optional<String>> scanner(InetAddress address);

    /** The cached answer for {@code address} without a lookup: null when unknown, else as {@link #scanner}. */
    Optional<String> cached(InetAddress address);
}
