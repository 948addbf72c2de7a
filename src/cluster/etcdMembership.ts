// Membership from etcd (docs/design.md, Membership through etcd): list the prefix, then watch it from the revision after
// that list, so every join (a put) and leave (a delete, or a lease running out) reaches the ring
// as an event. Each lost connection starts over from a fresh list, which also covers a compacted
// history and an etcd that came back empty; meanwhile the last known members stay in use and
// status() says connected=false. Slaves (role "slave") form the ring; `<prefix>master` names the
// write primary, for whoever needs it (the gateway's status, a slave without --master).
import type { IKeyValue, Watcher } from 'etcd3';
import type { EtcdConfig } from '../config/etcd';
import type { Logger } from '../shared/logger';
import { Backoff } from './backoff';
import { createEtcdClient, type EtcdClient } from './etcdClient';
import { MASTER_NAME, parseRecord, type NodeRecord } from './etcdRecord';
import { describeError } from './jsonClient';
import type { Member, MembersListener, MembershipSource, MembershipStatus } from './membership';
import { sameMembers, sortMembers, memberChanges } from './membership';

export interface EtcdMembershipOptions {
  readonly etcd: EtcdConfig;
  readonly logger: Logger;
  /** A client to share (not closed by stop()). Default: one made from `etcd` and closed by stop(). */
  readonly client?: EtcdClient;
  /** Injected for tests. Default Date.now. */
  readonly now?: () => number;
}

/** Lines logged per outage: the first few failures, then one in twenty. */
const LOUD_FAILURES = 3;

export class EtcdMembership implements MembershipSource {
  readonly describe: string;
  readonly #opts: EtcdMembershipOptions;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #listeners = new Set<MembersListener>();
  readonly #backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
  /** Valid records by node name. */
  readonly #records = new Map<string, NodeRecord>();
  /** Key -> mod revision of values already reported as invalid, so each is logged once. */
  readonly #reported = new Map<string, string>();
  #client: EtcdClient | undefined;
  #watcher: Watcher | undefined;
  #members: readonly Member[] = Object.freeze([]);
  #master: string | undefined;
  #connected = false;
  #lastContactMs: number | undefined;
  #lastError: string | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #firstList: (() => void) | undefined;

  constructor(opts: EtcdMembershipOptions) {
    this.#opts = opts;
    this.#prefix = opts.etcd.prefix;
    this.#now = opts.now ?? Date.now;
    this.describe = `etcd ${opts.etcd.endpoints.join(',')} ${this.#prefix}`;
    this.#log = opts.logger.child({ component: 'membership', etcd: opts.etcd.endpoints.join(','), prefix: this.#prefix });
  }

  current(): readonly Member[] {
    return this.#members;
  }

  /** The write primary's address from `<prefix>master`, once seen. */
  master(): string | undefined {
    return this.#master;
  }

  onChange(listener: MembersListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Rejects only when the client cannot be made at all (etcd3 not installed); etcd being down is not an error. */
  async start(firstListMs = 3000): Promise<void> {
    this.#client = this.#opts.client ?? (await createEtcdClient(this.#opts.etcd));
    const first = new Promise<void>((resolve) => {
      // Not unref'd: until the caller's server listens it keeps the process alive while etcd is
      // unreachable (see MasterMembership.start).
      const timer = setTimeout(resolve, firstListMs);
      this.#firstList = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    void this.#cycle();
    return first;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#dropWatcher();
    if (!this.#opts.client) this.#client?.close();
  }

  status(): MembershipStatus {
    return { source: this.describe, connected: this.#connected, lastContactMs: this.#lastContactMs, lastError: this.#lastError, master: this.#master };
  }

  /** One round: list the prefix, then watch it from the next revision. */
  async #cycle(): Promise<void> {
    const client = this.#client;
    if (this.#stopped || !client) return;
    try {
      const listed = await client.getAll().prefix(this.#prefix).exec();
      if (this.#stopped) return;
      this.#records.clear();
      for (const kv of listed.kvs) this.#apply(kv, 'put');
      this.#publish();
      if (!this.#connected || this.#failures > 0) {
        this.#log.info({ event: 'etcd_connected', members: this.#members.length, master: this.#master ?? null, after_failures: this.#failures }, 'following etcd');
      }
      this.#contact();
      this.#firstList?.();
      this.#firstList = undefined;
      this.#watch(client, (BigInt(listed.header.revision) + 1n).toString());
    } catch (err) {
      this.#lost(err);
    }
  }

  #watch(client: EtcdClient, fromRevision: string): void {
    // watcher() rather than create(): create() resolves only once connected, and would hide a
    // disconnect that happens before that.
    const w = client.watch().prefix(this.#prefix).startRevision(fromRevision).watcher();
    this.#watcher = w;
    w.on('put', (kv) => this.#change(kv, 'put'));
    w.on('delete', (kv) => this.#change(kv, 'delete'));
    w.on('connected', () => this.#contact());
    w.on('data', () => this.#contact());
    // Both end this watcher: the next round lists again rather than trusting a resumed stream.
    w.on('disconnected', (err) => this.#lost(err));
    w.on('error', (err) => this.#lost(err));
  }

  #change(kv: IKeyValue, type: 'put' | 'delete'): void {
    this.#apply(kv, type);
    this.#publish();
  }

  /** Takes one key's new state into #records; invalid values are logged once and ignored. */
  #apply(kv: IKeyValue, type: 'put' | 'delete'): void {
    const key = kv.key.toString('utf8');
    if (!key.startsWith(this.#prefix)) return;
    const name = key.slice(this.#prefix.length);
    if (type === 'delete') {
      this.#records.delete(name);
      this.#reported.delete(key);
      return;
    }
    const record = name === '' ? { invalid: 'empty node name' } : parseRecord(name, kv.value.toString('utf8'));
    if ('invalid' in record) {
      // A bad value replaces whatever the key held before: that node's registration is gone.
      this.#records.delete(name);
      if (this.#reported.get(key) !== kv.mod_revision) {
        this.#reported.set(key, kv.mod_revision);
        this.#log.warn({ event: 'etcd_bad_value', key, reason: record.invalid, value: kv.value.toString('utf8').slice(0, 200) }, 'ignoring an etcd value that is not a kamaitachi node record');
      }
      return;
    }
    this.#reported.delete(key);
    this.#records.set(name, record);
  }

  /** Recomputes members and master from #records and tells listeners when they changed. */
  #publish(): void {
    const master = this.#records.get(MASTER_NAME)?.addr;
    if (master !== this.#master) {
      this.#log.info({ event: 'master_found', master: master ?? null, was: this.#master ?? null }, master ? `the master is ${master}` : 'no master is published in etcd');
      this.#master = master;
    }
    const members = sortMembers(
      [...this.#records].filter(([, r]) => r.role === 'slave').map(([name, r]) => ({ id: name, addr: r.addr })),
    );
    if (sameMembers(members, this.#members)) return;
    this.#log.info({ event: 'members_changed', ...memberChanges(this.#members, members), count: members.length }, 'slave membership changed');
    this.#members = Object.freeze(members);
    for (const l of this.#listeners) l(this.#members);
  }

  #contact(): void {
    this.#connected = true;
    this.#lastContactMs = this.#now();
    this.#lastError = undefined;
    this.#failures = 0;
    this.#backoff.reset();
  }

  #lost(err: unknown): void {
    this.#dropWatcher();
    if (this.#stopped) return;
    this.#lastError = describeError(err);
    this.#failures++;
    const delay = this.#backoff.next();
    if (this.#connected || this.#failures <= LOUD_FAILURES || this.#failures % 20 === 0) {
      this.#log.warn(
        { event: 'etcd_unreachable', err: this.#lastError, failures: this.#failures, retry_in_ms: delay, members: this.#members.length },
        'lost etcd; routing with the last known members',
      );
    }
    this.#connected = false;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#cycle(), delay);
    this.#timer.unref();
  }

  #dropWatcher(): void {
    const w = this.#watcher;
    if (!w) return;
    this.#watcher = undefined;
    w.removeAllListeners();
    // etcd3 may still emit on it; an 'error' without a listener would throw.
    w.on('error', () => {});
    // Detaching from a broken stream is immediate; on a live one it sends a cancel we need not await.
    w.cancel().catch(() => {});
  }
}
