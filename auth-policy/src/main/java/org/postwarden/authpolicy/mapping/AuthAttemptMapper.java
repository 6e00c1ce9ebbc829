package org.postwarden.authpolicy.mapping;

import org.postwarden.api.AuthAttempt;
import org.postwarden.authpolicy.codec.AuthPolicyRequest;
import org.postwarden.model.Cidr;

import java.net.InetAddress;
import java.util.Map;

/**
 * Dovecot's fields → an {@link AuthAttempt}: {@code login}, {@code pwhash}, {@code remote} (an address literal; a
 * missing or invalid one is no address: the attempt is judged without one, never refused for it), {@code protocol},
 * and in reports {@code success} and {@code policy_reject}. Values are cut to sane lengths (a login to 256
 * characters, a password hash to 128, the protocol to 32).
 */
public final class AuthAttemptMapper {
    static final int MAX_LOGIN = 256;
    static final int MAX_HASH = 128;
    static final int MAX_PROTOCOL = 32;

    private AuthAttemptMapper() {
    }

    public static AuthAttempt toAttempt(AuthPolicyRequest r) {
        Map<String, String> f = r.fields();
        String success = f.get("success");
        return new AuthAttempt(r.command(), cut(f.get("login"), MAX_LOGIN), cut(f.get("pwhash"), MAX_HASH),
                address(f.get("remote")), cut(f.get("protocol"), MAX_PROTOCOL),
                success == null ? null : Boolean.valueOf("true".equals(success)), "true".equals(f.get("policy_reject")));
    }

    private static InetAddress address(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return Cidr.parseAddress(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String cut(String s, int max) {
        return s == null ? "" : s.length() <= max ? s : s.substring(0, max);
    }
}
