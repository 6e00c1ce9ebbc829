package org.postwarden.app;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import org.postwarden.api.Suspensions;
import org.postwarden.config.Durations;
import org.postwarden.model.BanKeys;
import org.postwarden.model.Cidr;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the admin API's request parsing with Jazzer (regression mode over
 * {@code AdminRequestsFuzzTestInputs/<method>/} in {@code ./mvnw verify}; {@code JAZZER_FUZZ=1} fuzzes, see
 * docs/fuzzing.md). The input's first line is the raw query string, the rest the request body: the query, every
 * parameter the API reads (bounded numbers, required names, an address, a subject) and the JSON body
 * ({@link AdminRequests#json}) with its fields (cidr as a ban target, duration, reason) are read as the API reads
 * them, and each is accepted or refused with an {@link AdminRefusal} (a 4xx naming the value), never another
 * exception.
 */
class AdminRequestsFuzzTest {
    @FuzzTest(maxDuration = "5m")
    void queriesAndBodiesAreReadOrRefusedWithA4xx(byte[] input) {
        int nl = 0;
        while (nl < input.length && input[nl] != '\n') {
            nl++;
        }
        String raw = new String(input, 0, nl, StandardCharsets.UTF_8);
        byte[] body = nl < input.length ? Arrays.copyOfRange(input, nl + 1, input.length) : new byte[0];
        try {
            Map<String, String> q = AdminRequests.query(raw);
            assertTrue(q.size() <= 32, "more than 32 parameters");
            refusedOr(() -> AdminRequests.intParam(q, "top", 10, 1, 1000));
            refusedOr(() -> {
                String subject = AdminRequests.required(q, "subject");
                Suspensions.subject(subject);
                AdminRequests.clean(subject);
                return null;
            });
            if (q.get("ip") != null) {
                try {
                    Cidr.parseAddress(q.get("ip"));
                } catch (IllegalArgumentException refused) {
                    // 400
                }
            }
            refusedOr(() -> target(AdminRequests.required(q, "cidr")));
        } catch (AdminRefusal refused) {
            assertTrue(refused.getMessage() != null);
        }
        if (body.length <= AdminApi.MAX_BODY) {
            try {
                JsonNode n = AdminRequests.json(body);
                refusedOr(() -> target(AdminRequests.text(n, "cidr", true)));
                refusedOr(() -> {
                    String d = AdminRequests.text(n, "duration", false);
                    if (d != null && !d.isBlank() && !d.trim().equalsIgnoreCase("permanent")) {
                        try {
                            Durations.parse(d);
                        } catch (IllegalArgumentException refused) {
                            // 400
                        }
                    }
                    return null;
                });
                refusedOr(() -> {
                    String reason = AdminRequests.text(n, "reason", false);
                    return reason == null ? null : AdminRequests.clean(reason);
                });
            } catch (AdminRefusal refused) {
                assertTrue(refused.status == 400, refused.getMessage());
            }
        }
    }

    /** A ban target as the API takes it: a network, then the key it is banned under (default tiers). */
    private static Object target(String cidr) throws AdminRefusal {
        try {
            return BanKeys.of(Cidr.parse(cidr), 48, 56, 48);
        } catch (IllegalArgumentException e) {
            throw new AdminRefusal(400, "cidr = \"" + cidr + "\": " + e.getMessage());
        }
    }

    interface Read {
        Object read() throws AdminRefusal;
    }

    private static void refusedOr(Read r) {
        try {
            r.read();
        } catch (AdminRefusal refused) {
            assertTrue(refused.getMessage() != null);
        }
    }
}
