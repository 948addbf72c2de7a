// Active health checks (docs/design.md#faults): GET /health of every member every interval, on
// connections of its own (a hung node's full data pool must not hide it, and checks must not
// take data connections). The verdicts go to Nodes, which takes a node out of the ring after
// two misses in a row and back after two passes; the status page reads them from there. This
// is the only place that decides whether a member answers.
import { Agent } from 'node:http';
import { callJson, describeError } from '../cluster/jsonClient';
import type { HealthCheckConfig } from '../config/gateway';
import { HEALTH } from '../shared/routes';
import type { NodeState, Nodes } from './nodes';

export class HealthChecker {
  readonly #nodes: Nodes;
  readonly #cfg: HealthCheckConfig;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  /** A node whose check has not ended is not checked again, so a hung node costs one socket. */
  readonly #checking = new Set<NodeState>();
  #timer: NodeJS.Timeout | undefined;

  constructor(nodes: Nodes, cfg: HealthCheckConfig) {
    this.#nodes = nodes;
    this.#cfg = cfg;
  }

  /** Checks every member now and then every interval; a no-op when checks are off (interval 0). */
  start(): void {
    if (this.#cfg.intervalMs === 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.checkAll(), this.#cfg.intervalMs);
    this.#timer.unref();
    void this.checkAll();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#agent.destroy();
  }

  /** One round: every member not already being checked. Tests call it directly. */
  async checkAll(): Promise<void> {
    await Promise.all(this.#nodes.all().map((n) => this.#check(n)));
  }

  async #check(node: NodeState): Promise<void> {
    if (this.#checking.has(node)) return;
    this.#checking.add(node);
    try {
      const answer = await callJson(node.addr + HEALTH, { timeoutMs: this.#cfg.timeoutMs, agent: this.#agent });
      if (answer.status === 200) this.#nodes.recordHealth(node, true);
      else this.#nodes.recordHealth(node, false, `/health answered ${answer.status}`);
    } catch (err) {
      this.#nodes.recordHealth(node, false, describeError(err));
    } finally {
      this.#checking.delete(node);
    }
  }
}
