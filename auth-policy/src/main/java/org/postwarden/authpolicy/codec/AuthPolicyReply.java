package org.postwarden.authpolicy.codec;

/**
 * One reply: Dovecot's {@code {"status": N, "msg": "..."}}.
 *
 * @param status    negative refuses, 0 allows, positive delays by that many seconds
 * @param message   text for Dovecot ("" for none)
 * @param keepAlive whether the connection stays open after it
 */
public record AuthPolicyReply(int status, String message, boolean keepAlive) {
    public AuthPolicyReply {
        message = message == null ? "" : message;
    }
}
