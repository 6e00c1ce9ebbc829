package org.postwarden.outbound.queue;

import org.postwarden.config.PostwardenConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Settings and stand-in commands (small {@code /bin/sh} scripts) for the queue tests. */
final class QueueTestSupport {
    private QueueTestSupport() {
    }

    /** Writes {@code body} as script {@code name} in {@code dir} ({@code $DIR} there is {@code dir}); its argv. */
    static List<String> script(Path dir, String name, String body) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\nDIR='" + dir + "'\n" + body + "\n");
        return List.of("/bin/sh", file.toString());
    }

    /** The defaults of config/postwarden.yaml with the given commands, timeout and no alerts. */
    static PostwardenConfig.Queue settings(List<String> list, List<String> postsuper, Duration timeout) {
        return new PostwardenConfig.Queue(true, Duration.ofSeconds(60), list, postsuper, timeout, 200_000, 0,
                Duration.ZERO, 0, 100, 0, Duration.ofHours(1), false);
    }

    static PostwardenConfig.Queue withAlerts(PostwardenConfig.Queue q, long depth, Duration oldestAge,
            double senderShare, long senderMinMessages, double growthPerMinute, Duration interval) {
        return new PostwardenConfig.Queue(q.watch(), q.interval(), q.listCommand(), q.postsuperCommand(),
                q.commandTimeout(), q.maxMessages(), depth, oldestAge, senderShare, senderMinMessages,
                growthPerMinute, interval, q.holdSuspended());
    }

    static PostwardenConfig.Queue withHoldSuspended(PostwardenConfig.Queue q, boolean hold) {
        return new PostwardenConfig.Queue(q.watch(), q.interval(), q.listCommand(), q.postsuperCommand(),
                q.commandTimeout(), q.maxMessages(), q.alertDepth(), q.alertOldestAge(), q.alertSenderShare(),
                q.alertSenderMinMessages(), q.alertGrowthPerMinute(), q.alertInterval(), hold);
    }

    static PostwardenConfig.Queue withWatch(PostwardenConfig.Queue q, boolean watch) {
        return new PostwardenConfig.Queue(watch, q.interval(), q.listCommand(), q.postsuperCommand(),
                q.commandTimeout(), q.maxMessages(), q.alertDepth(), q.alertOldestAge(), q.alertSenderShare(),
                q.alertSenderMinMessages(), q.alertGrowthPerMinute(), q.alertInterval(), q.holdSuspended());
    }

    static PostwardenConfig.Queue withList(PostwardenConfig.Queue q, List<String> list) {
        return new PostwardenConfig.Queue(q.watch(), q.interval(), list, q.postsuperCommand(), q.commandTimeout(),
                q.maxMessages(), q.alertDepth(), q.alertOldestAge(), q.alertSenderShare(),
                q.alertSenderMinMessages(), q.alertGrowthPerMinute(), q.alertInterval(), q.holdSuspended());
    }

    /** One {@code postqueue -j} line. */
    static String entry(String queue, String id, long arrivalSeconds, String sender) {
        return "{\"queue_name\": \"" + queue + "\", \"queue_id\": \"" + id + "\", \"arrival_time\": " + arrivalSeconds
                + ", \"message_size\": 1200, \"forced_expire\": false, \"sender\": \"" + sender
                + "\", \"recipients\": [{\"address\": \"rcpt@example.net\"}]}";
    }
}
