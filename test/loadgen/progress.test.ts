import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startProgress } from '../../src/loadgen/progress';
import { Collect, waitFor } from '../helpers';

describe('progress output', () => {
  it('redraws one bar in place on a terminal and clears it at the end', async () => {
    const out = new Collect();
    let completed = 0;
    const stop = startProgress({ read: () => ({ completed: (completed += 250), failed: 1 }) }, { stream: out, isTTY: true, total: 1000, seconds: 300, intervalMs: 5 });
    // At least one redraw, then stop: waiting on the output, not on a clock, holds under load.
    await waitFor(() => out.text.includes('\x1b[K'), 'a first progress bar');
    stop();
    assert.match(out.text, /^\r\[#+\.*\] +\d+%  250\/1000  \d+ req\/s  1 failed  [\d.]+s\x1b\[K/);
    assert.ok(out.text.endsWith('\r\x1b[K'));
    assert.doesNotMatch(out.text, /\n/);
  });

  it('writes plain lines when the output is not a terminal', async () => {
    const out = new Collect();
    const stop = startProgress({ read: () => ({ completed: 10, failed: 0 }) }, { stream: out, isTTY: false, total: null, seconds: 60, intervalMs: 5 });
    await waitFor(() => out.text.split('\n').length > 2, 'two progress lines');
    stop();
    const lines = out.text.trim().split('\n');
    assert.ok(lines.length >= 2);
    for (const line of lines) assert.match(line, /^progress: \d+%  10  \d+ req\/s  0 failed  [\d.]+s$/);
  });
});
