package org.postwarden.engine;

import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.Rules;

/**
 * Which hosts have a clean history (issue 14), for the greylist check: at least {@code networks.clean-history-messages}
 * accepted messages and no own score at {@code scoring.thresholds.tag} within {@code store.idle-expiry}, and its own
 * score below the tag threshold now. The history itself is the one the network-score rule keeps
 * ({@link NetworkScores}: the store table {@code host-history}, counted once per accepted message by the engine), so
 * the network score and greylisting agree on who is clean.
 *
 * <p>Known limits: those of {@link NetworkScores}' history; acceptance is Postwarden's verdict, not Postfix's; without
 * END-OF-MESSAGE events (no {@code smtpd_end_of_data_restrictions} policy check and no milter) no host ever has a
 * clean history.
 */
final class ClientHistory {
    private ClientHistory() {
    }

    /**
     * Whether {@code host} (a host key of any family) has a clean history now. False when
     * {@code networks.clean-history-messages} is 0.
     */
    static boolean clean(ReputationStore store, ClientKey host, Rules rules) {
        if (host == null) {
            return false;
        }
        ClientKey member = host.v6() ? ClientKey.of(host.address(), KeyLevel.SUBNET, rules.widePrefix()) : host;
        if (!NetworkScores.clean(store, rules, member)) {
            return false;
        }
        double tag = rules.config().scoring().thresholds().tag();
        return tag <= 0 || store.score(host) < tag;
    }
}
