import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser } from '../../src/loadgen/ResponseParser';

function parse(chunks: string[]): Array<[number, boolean]> {
  const out: Array<[number, boolean]> = [];
  const p = new ResponseParser((status, keepAlive) => out.push([status, keepAlive]));
  for (const c of chunks) p.execute(Buffer.from(c, 'latin1'));
  return out;
}

/** Every way of cutting `text` in two. */
function splits(text: string): string[][] {
  return Array.from({ length: text.length - 1 }, (_, i) => [text.slice(0, i + 1), text.slice(i + 1)]);
}

const CL = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}';
const CHUNKED = 'HTTP/1.1 429 Too Many\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"a":\r\n6;ext=1\r\n"bcd"}\r\n0\r\n\r\n';

describe('the response parser', () => {
  it('finds the end of a content-length body however the bytes are split', () => {
    for (const parts of splits(CL)) assert.deepEqual(parse(parts), [[200, true]], JSON.stringify(parts));
  });

  it('follows chunked bodies with extensions however the bytes are split', () => {
    for (const parts of splits(CHUNKED)) assert.deepEqual(parse(parts), [[429, true]], JSON.stringify(parts));
  });

  it('skips trailers after the last chunk', () => {
    assert.deepEqual(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Sum: 1\r\n\r\n']), [[200, true]]);
  });

  it('reads two responses that arrive in one read', () => {
    assert.deepEqual(parse([CL + CHUNKED]), [[200, true], [429, true]]);
  });

  it('notices connection: close and HTTP/1.0 without keep-alive', () => {
    assert.deepEqual(parse(['HTTP/1.1 500 Oops\r\nConnection: close\r\ncontent-length: 0\r\n\r\n']), [[500, false]]);
    assert.deepEqual(parse(['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}']), [[200, false]]);
    assert.deepEqual(parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}']), [[200, true]]);
  });

  it('has no body for 204 and waits past 100 Continue', () => {
    assert.deepEqual(parse(['HTTP/1.1 204 No Content\r\n\r\n']), [[204, true]]);
    assert.deepEqual(parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']), [[200, true]]);
  });

  it('ends a body without length at connection close', () => {
    const out: number[] = [];
    const p = new ResponseParser((status) => out.push(status));
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n{"partial'));
    assert.deepEqual(out, []);
    assert.equal(p.finish(), true);
    assert.deepEqual(out, [200]);
  });

  it('reports a response cut short by a close', () => {
    const p = new ResponseParser(() => {});
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"a"'));
    assert.throws(() => p.finish(), /middle of a response/);
  });

  it('refuses bytes that are not HTTP', () => {
    assert.throws(() => parse(['SSH-2.0-OpenSSH\r\n\r\n']), /HTTP/);
  });
});
