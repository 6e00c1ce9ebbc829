package org.postwarden.reputation.memory;

import org.postwarden.model.ClientKey;
import org.postwarden.reputation.Ban;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * The store's journal: every ban and unban (with its offense number, the offense history) and every put or removal
 * in a {@linkplain org.postwarden.reputation.StateKind#journaled() journaled} state table (the outbound
 * suspensions) is appended to {@code PATH} as it happens and forced to disk, so a {@code kill -9} or a power loss
 * between two snapshots forgets none of them. The store's callers never wait for the disk: records are handed to one
 * writer thread that appends and fsyncs them in batches (group commit); a record is on disk within one fsync of
 * being made.
 *
 * <p>Format (version 1): the header {@code PWJRNL01}, then records, each {@code int length, int CRC-32 of the body,
 * body}; a body is {@code long sequence, byte type, fields} (1 ban: key, since, until, reason, detail, offense;
 * 2 unban: key; 3 table put: name, encoding version, key, value bytes; 4 table removal: name, key). A record that
 * is cut short or fails its checksum ends the journal: it and anything after it is ignored with a log line and cut
 * off (a torn tail is what a crash during an append leaves; it is never fatal).
 *
 * <p>Compaction: a snapshot holds everything the journal held up to the {@link #mark()} taken before it was
 * written; once the snapshot is on disk, {@link #compact(long)} rewrites the journal with the later records only
 * (written to {@code PATH.tmp}, forced, renamed over, the directory forced). Replaying records that a snapshot
 * already holds is harmless: each record sets a state, it never adds to one.
 *
 * <p>Thread-safety: the append methods may be called from any thread (event loops included: they only queue);
 * file work runs on the journal's own thread.
 */
public final class StoreJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StoreJournal.class);
    /** The format this code writes and reads. */
    public static final int FORMAT_VERSION = 1;
    private static final byte[] MAGIC = "PWJRNL01".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_RECORD = (1 << 20) + 4096;
    private static final int QUEUE = 100_000;
    private static final byte BAN = 1;
    private static final byte UNBAN = 2;
    private static final byte PUT = 3;
    private static final byte REMOVE = 4;

    /**
     * What a replay found.
     *
     * @param records valid records applied
     * @param torn    whether a torn or corrupt tail was cut off
     */
    public record Replay(long records, boolean torn) {
    }

    private final Path path;
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong synced = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private FileChannel channel;
    private volatile boolean closed;

    /** A compaction request handled by the writer thread. */
    private record Compact(long mark, CompletableFuture<Void> done) {
    }

    /** A request to force everything queued before it, answered by the writer thread. */
    private record Sync(CompletableFuture<Void> done) {
    }

    private StoreJournal(Path path, FileChannel channel, long lastSequence) {
        this.path = path;
        this.channel = channel;
        this.sequence.set(lastSequence);
        this.writer = new Thread(this::run, "postwarden-journal");
        this.writer.setDaemon(true);
    }

    /**
     * Replays the journal at {@code path} (if any) into {@code store}, which already holds the snapshot, cuts a torn
     * tail off, and opens the journal for appends; from then on {@code store} (and every store that succeeds it on a
     * reload) journals its bans and journaled tables here.
     */
    public static StoreJournal open(Path path, MemoryReputationStore store, Replay[] replayed) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        long[] last = {0};
        Replay r = new Replay(0, false);
        long goodLength = MAGIC.length;
        if (Files.exists(path) && Files.size(path) > 0) {
            long[] good = {MAGIC.length};
            r = replay(path, store, last, good);
            goodLength = good[0];
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        if (ch.size() < MAGIC.length || goodLength < MAGIC.length) {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(MAGIC), 0);
            goodLength = MAGIC.length;
        } else if (ch.size() > goodLength) {
            ch.truncate(goodLength);
        }
        ch.position(goodLength);
        ch.force(true);
        SnapshotFile.forceDirectory(dir);
        if (replayed != null && replayed.length > 0) {
            replayed[0] = r;
        }
        StoreJournal j = new StoreJournal(path, ch, last[0]);
        store.durability().journal = j;
        j.writer.start();
        return j;
    }

    private static Replay replay(Path path, MemoryReputationStore store, long[] last, long[] good) throws IOException {
        byte[] all = Files.readAllBytes(path);
        if (all.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
            LOG.error("state journal {} does not start with {} (not a Postwarden journal, or a newer format); it is "
                    + "moved aside and a new one is started", path, new String(MAGIC, StandardCharsets.US_ASCII));
            Path aside = path.resolveSibling(path.getFileName() + ".corrupt-" + System.currentTimeMillis());
            Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
            good[0] = 0;
            return new Replay(0, true);
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        b.position(MAGIC.length);
        long n = 0;
        boolean torn = false;
        long now = store.time().millis();
        while (b.remaining() > 0) {
            int start = b.position();
            if (b.remaining() < 8) {
                torn = true;
                break;
            }
            int len = b.getInt();
            int crc = b.getInt();
            if (len < 9 || len > MAX_RECORD || len > b.remaining()) {
                torn = true;
                b.position(start);
                break;
            }
            byte[] body = new byte[len];
            b.get(body);
            CRC32 c = new CRC32();
            c.update(body);
            if ((int) c.getValue() != crc) {
                torn = true;
                b.position(start);
                break;
            }
            try {
                last[0] = Math.max(last[0], apply(store, body, now));
            } catch (IOException | RuntimeException e) {
                torn = true;
                b.position(start);
                break;
            }
            n++;
            good[0] = b.position();
        }
        if (torn) {
            LOG.warn("state journal {}: a torn or corrupt record at byte {} ({} bytes after it) is ignored: the "
                    + "journal ends with the {} valid records before it", path, good[0], all.length - good[0], n);
        }
        return new Replay(n, torn);
    }

    /** Applies one record body to {@code store}; returns its sequence number. */
    private static long apply(MemoryReputationStore store, byte[] body, long now) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
        long seq = in.readLong();
        byte type = in.readByte();
        switch (type) {
            case BAN -> {
                ClientKey key = StoreSnapshot.readKey(in);
                Ban b = new Ban(key, in.readLong(), in.readLong(), StoreSnapshot.readString(in),
                        StoreSnapshot.readString(in), in.readInt());
                store.offenseMap().merge(key, b.offense(), Math::max);
                if (b.activeAt(now)) {
                    store.banMap().put(key, b);
                } else {
                    store.banMap().remove(key);
                }
            }
            case UNBAN -> store.banMap().remove(StoreSnapshot.readKey(in));
            case PUT -> {
                String name = StoreSnapshot.readString(in);
                int version = in.readInt();
                String key = StoreSnapshot.readString(in);
                int len = in.readInt();
                if (len < 0 || len > MAX_RECORD) {
                    throw new IOException("value of " + len + " bytes");
                }
                byte[] v = new byte[len];
                in.readFully(v);
                store.stateTables().restoreOne(name, version, key, v);
            }
            case REMOVE -> {
                String name = StoreSnapshot.readString(in);
                store.stateTables().removeOne(name, StoreSnapshot.readString(in));
            }
            default -> throw new IOException("unknown journal record type " + type);
        }
        if (in.available() > 0) {
            throw new IOException(in.available() + " bytes left after a record");
        }
        return seq;
    }

    // ---- appends (any thread) -----------------------------------------------------------------------------------

    void ban(Ban b) {
        append(BAN, d -> {
            StoreSnapshot.writeKey(d, b.key());
            d.writeLong(b.sinceMillis());
            d.writeLong(b.untilMillis());
            StoreSnapshot.writeString(d, b.reason());
            StoreSnapshot.writeString(d, b.detail());
            d.writeInt(b.offense());
        });
    }

    void unban(ClientKey key) {
        append(UNBAN, d -> StoreSnapshot.writeKey(d, key));
    }

    void put(String table, int version, String key, byte[] value) {
        append(PUT, d -> {
            StoreSnapshot.writeString(d, table);
            d.writeInt(version);
            StoreSnapshot.writeString(d, key);
            d.writeInt(value.length);
            d.write(value);
        });
    }

    void remove(String table, String key) {
        append(REMOVE, d -> {
            StoreSnapshot.writeString(d, table);
            StoreSnapshot.writeString(d, key);
        });
    }

    private interface Body {
        void write(DataOutputStream d) throws IOException;
    }

    private void append(byte type, Body body) {
        if (closed) {
            return;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream(96);
        DataOutputStream d = new DataOutputStream(buf);
        byte[] record;
        synchronized (this) {
            // sequence numbers in queue order, so the mark a snapshot takes covers exactly what is queued before it
            long seq = sequence.incrementAndGet();
            try {
                d.writeLong(seq);
                d.writeByte(type);
                body.write(d);
                d.flush();
            } catch (IOException e) {
                throw new IllegalStateException(e); // a byte array does not fail
            }
            record = frame(buf.toByteArray());
            if (!queue.offer(record)) {
                dropped.incrementAndGet();
                LOG.error("state journal {}: {} records waiting for the disk; a record is dropped (it is in memory "
                        + "and in the next snapshot, not in the journal)", path, QUEUE);
            }
        }
    }

    private static byte[] frame(byte[] body) {
        CRC32 c = new CRC32();
        c.update(body);
        ByteBuffer b = ByteBuffer.allocate(8 + body.length);
        b.putInt(body.length).putInt((int) c.getValue()).put(body);
        return b.array();
    }

    /** The sequence number of the last record handed to the journal (take it before writing a snapshot). */
    public synchronized long mark() {
        return sequence.get();
    }

    /** Records forced to disk since start. */
    public long synced() {
        return synced.get();
    }

    /** Records dropped since start because the disk did not keep up. */
    public long dropped() {
        return dropped.get();
    }

    /** Records handed over and not on disk yet. */
    public long pending() {
        return queue.size();
    }

    public Path path() {
        return path;
    }

    /**
     * Drops the records up to {@code mark} (a snapshot written after taking that mark holds them) and waits for it.
     * Call off event loops.
     */
    public void compact(long mark) throws IOException {
        Compact c = new Compact(mark, new CompletableFuture<>());
        await(c, c.done());
    }

    /** Waits until every record handed over before this call is on disk. Call off event loops. */
    public void sync() throws IOException {
        Sync s = new Sync(new CompletableFuture<>());
        await(s, s.done());
    }

    private void await(Object request, CompletableFuture<Void> done) throws IOException {
        if (closed) {
            return;
        }
        try {
            queue.put(request);
            done.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("state journal " + path + ": no answer from the disk within 60 s", e);
        }
    }

    // ---- the writer thread --------------------------------------------------------------------------------------

    private void run() {
        List<Object> batch = new ArrayList<>();
        while (true) {
            try {
                Object first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closed) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 4096);
                writeBatch(batch);
                batch.clear();
            } catch (InterruptedException e) {
                if (closed && queue.isEmpty()) {
                    return;
                }
            }
        }
    }

    private void writeBatch(List<Object> batch) {
        int records = 0;
        try {
            for (Object o : batch) {
                if (o instanceof byte[] r) {
                    ByteBuffer b = ByteBuffer.wrap(r);
                    while (b.hasRemaining()) {
                        channel.write(b);
                    }
                    records++;
                } else {
                    if (records > 0) {
                        channel.force(false);
                        synced.addAndGet(records);
                        records = 0;
                    }
                    if (o instanceof Compact c) {
                        try {
                            rewrite(c.mark());
                            c.done().complete(null);
                        } catch (IOException | RuntimeException e) {
                            c.done().completeExceptionally(e);
                        }
                    } else if (o instanceof Sync s) {
                        s.done().complete(null);
                    }
                }
            }
            if (records > 0) {
                channel.force(false);
                synced.addAndGet(records);
            }
        } catch (IOException e) {
            dropped.addAndGet(records);
            LOG.error("state journal {}: cannot append ({}); {} records are in memory and in the next snapshot only",
                    path, e.toString(), records);
            for (Object o : batch) {
                if (o instanceof Compact c) {
                    c.done().completeExceptionally(e);
                } else if (o instanceof Sync s) {
                    s.done().completeExceptionally(e);
                }
            }
        }
    }

    /** Rewrites the journal with the records after {@code mark} (writer thread only). */
    private void rewrite(long mark) throws IOException {
        channel.force(true);
        byte[] all = Files.readAllBytes(path);
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = dir.resolve(path.getFileName() + ".tmp");
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        kept.write(MAGIC);
        ByteBuffer b = ByteBuffer.wrap(all);
        b.position(Math.min(MAGIC.length, all.length));
        while (b.remaining() >= 8) {
            int len = b.getInt();
            int crc = b.getInt();
            if (len < 9 || len > b.remaining()) {
                break;
            }
            byte[] body = new byte[len];
            b.get(body);
            long seq = ByteBuffer.wrap(body).getLong();
            if (seq > mark) {
                ByteBuffer f = ByteBuffer.allocate(8).putInt(len).putInt(crc);
                kept.write(f.array());
                kept.write(body);
            }
        }
        try (FileChannel t = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer out = ByteBuffer.wrap(kept.toByteArray());
            while (out.hasRemaining()) {
                t.write(out);
            }
            t.force(true);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
        SnapshotFile.forceDirectory(dir);
        channel.close();
        channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
        channel.position(channel.size());
    }

    /** Writes what is queued, forces it, and stops the writer thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            sync();
        } catch (IOException e) {
            LOG.warn("state journal {}: {}", path, e.toString());
        }
        closed = true;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            channel.force(true);
            channel.close();
        } catch (IOException e) {
            LOG.warn("state journal {}: {}", path, e.toString());
        }
    }
}
