package org.postwarden.reputation.memory;

/**
 * Where a store's durable changes go: the journal, once the daemon has opened one (none before, and none when
 * persistence is off). One instance is shared by a store and every store that succeeds it on a reload, with the bans
 * and tables they share. Thread-safe (a volatile reference).
 */
final class Durability {
    volatile StoreJournal journal;
}
