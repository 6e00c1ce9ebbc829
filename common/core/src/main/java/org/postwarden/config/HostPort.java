package org.postwarden.config;

import org.postwarden.model.Cidr;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** A listen or connect address, {@code host:port} or {@code [v6]:port}; hosts must be IP literals. */
public record HostPort(String host, int port) {

    public static HostPort parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing address (expected: host:port)");
        }
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("expected host:port, e.g. 127.0.0.1:10033 or [::1]:10033");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("IPv6 addresses need brackets, e.g. [::1]:10033");
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range (expected: 0..65535)");
        }
        Cidr.parseAddress(host);
        return new HostPort(host, port);
    }

    public InetSocketAddress socketAddress() {
        InetAddress a = Cidr.parseAddress(host);
        return new InetSocketAddress(a, port);
    }

    public boolean loopback() {
        return Cidr.parseAddress(host).isLoopbackAddress();
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
