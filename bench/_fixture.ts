// Shared setup of the micro-benchmarks: a generated database opened in a QueryEngine (the store
// keeps every report in one in-memory frame), and request bodies of the load scenarios.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import { generateDatabase } from '../src/gendata/generate';
import { FinanceStore } from '../src/store/FinanceStore';
import { QueryEngine } from '../src/query/QueryEngine';
import { generateRequests } from '../src/loadgen/requestPlan';
import { scenarioById, ORIGINAL_INDICATORS } from '../src/loadgen/scenarios';

export interface Fixture {
  readonly store: FinanceStore;
  /** Warmed up: topic views built, queries never touch SQLite. */
  readonly engine: QueryEngine;
  readonly subjects: readonly string[];
  /** Raw request bodies of scenarios 1-6 (seed 1), 64 of each. */
  bodies(scenario: number): Buffer[];
}

/** One file of micro-benchmarks: adds its tasks to the bench it is given. */
export interface MicroBench {
  readonly title: string;
  register(bench: Bench, fixture: Fixture): void | Promise<void>;
}

export const STOCKS = 300;

export async function openFixture(): Promise<Fixture & { close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'kmt-microbench-'));
  const out = join(dir, 'finance.db');
  await generateDatabase({ out, stocks: STOCKS, startYear: 2015, endYear: 2024, seed: 42, noise: 0 });
  const store = await FinanceStore.open(out);
  const engine = new QueryEngine(store, { cacheBytes: 512 * 1024 * 1024, maxLimit: 1000 });
  const subjects = store.directory.subjects;
  engine.warmUp();
  const ctx = { subjects, indicators: [...ORIGINAL_INDICATORS], topic: 'stock_a_listing_pool' };
  const cache = new Map<number, Buffer[]>();
  return {
    store,
    engine,
    subjects,
    bodies(scenario) {
      let list = cache.get(scenario);
      if (!list) {
        list = generateRequests(scenarioById(scenario)!, ctx, 1, 64).map((r) => Buffer.from(JSON.stringify(r.body)));
        cache.set(scenario, list);
      }
      return list;
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
