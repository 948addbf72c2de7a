import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Router } from '../../src/http/router';
import { startHttpServer } from '../../src/http/server';
import { readBody } from '../../src/http/body';
import { sendOk } from '../../src/http/send';
import { silentLogger } from '../../src/shared/logger';
import { httpRequest } from '../helpers';

function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let got = '';
    socket.on('data', (d) => (got += d.toString()));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

describe('http server', () => {
  it('cuts off a client that stalls in the middle of its headers', async (t) => {
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, router: new Router(), logger: silentLogger, headersTimeoutMs: 300 });
    t.after(() => server.close());
    const answer = await rawExchange(server.port, 'POST /x HTTP/1.1\r\nHost: x\r\n');
    assert.match(answer, /^HTTP\/1\.1 408/);
  });

  it('cuts off a client that stalls in the middle of its body', async (t) => {
    const router = new Router().post('/echo', async (req, res) => sendOk(res, (await readBody(req)).length));
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, router, logger: silentLogger, headersTimeoutMs: 300, requestTimeoutMs: 600 });
    t.after(() => server.close());
    const answer = await rawExchange(server.port, 'POST /echo HTTP/1.1\r\nHost: x\r\ncontent-length: 100\r\n\r\n{"a":');
    assert.match(answer, /^HTTP\/1\.1 408/);
  });

  it('answers 400 with the envelope to a malformed request line', async (t) => {
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, router: new Router(), logger: silentLogger });
    t.after(() => server.close());
    const answer = await rawExchange(server.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400/);
    assert.match(answer, /"status_code":400/);
  });

  it('turns an unexpected handler error into a 500 envelope and keeps serving', async (t) => {
    const router = new Router()
      .get('/boom', () => {
        throw new Error('kaput');
      })
      .get('/fine', (_req, res) => sendOk(res, 1));
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, router, logger: silentLogger });
    t.after(() => server.close());
    const boom = await httpRequest(`${server.url}/boom`);
    assert.equal(boom.status, 500);
    assert.deepEqual(boom.json, { status_code: 500, status_msg: 'internal error', error_code: 'KMT_INTERNAL' });
    assert.equal((await httpRequest(`${server.url}/fine`)).status, 200);
  });

  it('lets an in-flight request finish when closing', async (t) => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const router = new Router().get('/slow', async (_req, res) => {
      entered();
      await gate;
      sendOk(res, 'done');
    });
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, router, logger: silentLogger });
    t.after(() => server.close());
    const pending = httpRequest(`${server.url}/slow`);
    await inside;
    const closed = server.close(5000);
    release();
    const res = await pending;
    await closed;
    assert.equal(res.status, 200);
    assert.equal(res.json.data, 'done');
  });
});
