/**
 * Log sources that read files: {@link org.postwarden.ingest.source.FileFollower} (rotation and truncation safe,
 * resumes from {@link org.postwarden.ingest.source.Offsets}, starts at the end the first time), Docker json-file
 * decoding, and the bounded {@link org.postwarden.ingest.source.LineSplitter} that the follower and the replay share.
 *
 * <p>Thread-safety: a follower, its splitter and its decoder belong to one thread (the ingest listener's file thread,
 * never a Netty event loop); {@link org.postwarden.ingest.source.Offsets} is thread-safe. Limits: a line longer than
 * {@code ingest.max-line-length} is skipped to its newline; at most 8 MiB are read per file per poll; a file
 * truncated and refilled past its old size between two polls is not noticed.
 */
package org.postwarden.ingest.source;
