package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The {@code checks:} section (a toggle per check) and {@code helo:} (the patterns of the HELO check). */
final class ChecksHeloValidator {
    private ChecksHeloValidator() {
    }

    static void checks(PostwardenConfig.Checks k, Problems p) {
        p.present("checks.rate-limit", k.rateLimit());
        p.present("checks.relay", k.relay());
        p.present("checks.helo", k.helo());
        p.present("checks.score", k.score());
        p.present("checks.ban", k.ban());
        p.present("checks.dnsbl", k.dnsbl());
        p.present("checks.outbound", k.outbound());
        p.present("checks.greylist", k.greylist());
    }

    static void helo(PostwardenConfig.Helo h, Problems p) {
        p.each("helo.generic-patterns", h.genericPatterns(), pattern -> {
            try {
                Pattern.compile(pattern);
                return null;
            } catch (PatternSyntaxException e) {
                return "a valid regular expression (" + e.getDescription() + ")";
            }
        });
    }
}
