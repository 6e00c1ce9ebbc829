package org.postwarden.authpolicy.codec;

import org.postwarden.api.AuthAttempt;

import java.util.Map;

/**
 * One decoded request: Dovecot's command and its flattened JSON fields.
 *
 * @param command   allow or report
 * @param fields    the JSON fields (values as text)
 * @param keepAlive whether the connection stays open after the reply
 */
public record AuthPolicyRequest(AuthAttempt.Command command, Map<String, String> fields, boolean keepAlive) {
    public AuthPolicyRequest {
        fields = Map.copyOf(fields);
    }
}
