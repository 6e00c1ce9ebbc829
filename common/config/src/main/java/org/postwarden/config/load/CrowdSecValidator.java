package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Set;

/** The {@code crowdsec:} section: the Local API's URL, the bouncer (decision stream) and the source (alert push). */
final class CrowdSecValidator {
    private static final Set<String> TYPES = Set.of("ban", "captcha", "throttle");

    private CrowdSecValidator() {
    }

    static void validate(PostwardenConfig.CrowdSec c, Problems p) {
        if (p.present("crowdsec.lapi-url", c.lapiUrl())) {
            p.require("crowdsec.lapi-url", c.lapiUrl(), url(c.lapiUrl()),
                    "an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080");
        }
        p.duration("crowdsec.timeout", c.timeout(), Duration.ofMillis(100), Duration.ofMinutes(1));
        p.ifPresent("crowdsec.bouncer", c.bouncer(), b -> {
            p.filePath("crowdsec.bouncer.api-key-file", b.apiKeyFile(), "a file path");
            if (b.enabled() && b.apiKeyFile() != null) {
                p.require("crowdsec.bouncer.api-key-file", b.apiKeyFile(), !b.apiKeyFile().isBlank(),
                        "the file holding the bouncer's API key when crowdsec.bouncer.enabled is true");
            }
            p.duration("crowdsec.bouncer.poll-interval", b.pollInterval(), Duration.ofSeconds(1),
                    Duration.ofHours(1));
            p.each("crowdsec.bouncer.types", b.types(), t -> t != null && TYPES.contains(t) ? null
                    : "one of " + String.join(", ", TYPES.stream().sorted().toList()));
            p.wholeNumber("crowdsec.bouncer.max-decisions", b.maxDecisions(), 1, 10_000_000);
        });
        p.ifPresent("crowdsec.source", c.source(), s -> {
            p.filePath("crowdsec.source.credentials-file", s.credentialsFile(), "a file path");
            if (s.enabled() && s.credentialsFile() != null) {
                p.require("crowdsec.source.credentials-file", s.credentialsFile(), !s.credentialsFile().isBlank(),
                        "the machine credentials file when crowdsec.source.enabled is true");
            }
            p.duration("crowdsec.source.interval", s.interval(), Duration.ofSeconds(1), Duration.ofHours(1));
            if (p.present("crowdsec.source.scenario-prefix", s.scenarioPrefix())) {
                p.require("crowdsec.source.scenario-prefix", s.scenarioPrefix(),
                        s.scenarioPrefix().matches("[A-Za-z0-9_./-]{0,64}"), "letters, digits, '_', '.', '/', '-'");
            }
        });
    }

    private static boolean url(String s) {
        try {
            URI u = new URI(s);
            return ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }
}
