// Membership from a fixed `--nodes` list: no registry, no changes; the id of each slave is its address.
import type { Member, MembershipSource, MembershipStatus } from './membership';
import { sortMembers } from './membership';

export class StaticMembership implements MembershipSource {
  readonly describe: string;
  readonly #members: readonly Member[];

  constructor(addrs: readonly string[]) {
    this.#members = Object.freeze(sortMembers(new Map(addrs.map((a) => [a, { id: a, addr: a }])).values()));
    this.describe = `static ${addrs.join(',')}`;
  }

  current(): readonly Member[] {
    return this.#members;
  }

  onChange(): () => void {
    return () => {};
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  status(): MembershipStatus {
    return { source: this.describe, connected: true, lastContactMs: undefined, lastError: undefined };
  }
}
