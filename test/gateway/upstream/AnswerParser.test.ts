// The strict HTTP/1.1 answer parser on its own: the same verdict whether the bytes come at once
// or one by one, what RFC 9112 allows accepted, everything else refused with its cause.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerError, AnswerParser, type ParsedAnswer } from '../../../src/gateway/upstream/AnswerParser';

const MAX = 1024;

/** Feeds `text` whole and byte by byte; both ways must agree. `closed` ends it with a close. */
function parse(text: string, opts: { closed?: boolean; noBody?: boolean } = {}): ParsedAnswer | string {
  const run = (pieces: Buffer[]): ParsedAnswer | string => {
    const p = new AnswerParser(MAX, opts.noBody);
    try {
      for (const piece of pieces) {
        const a = p.feed(piece);
        if (a) return a;
      }
      return opts.closed ? p.end() : 'incomplete';
    } catch (e) {
      assert.ok(e instanceof AnswerError);
      return e.failure;
    }
  };
  const bytes = Buffer.from(text, 'latin1');
  const whole = run([bytes]);
  const single = run([...bytes].map((b) => Buffer.from([b])));
  const view = (r: ParsedAnswer | string) => (typeof r === 'string' ? r : { ...r, body: r.body.toString('latin1'), surplus: false });
  assert.deepEqual(view(single), view(whole), 'byte-by-byte parsing disagrees with parsing at once');
  return whole;
}

const ok = (headers: string, body: string) => `HTTP/1.1 200 OK\r\n${headers}\r\n${body}`;

describe('AnswerParser', () => {
  it('reads a content-length answer with its type and request id echo', () => {
    const a = parse(ok('content-type: application/json\r\ncontent-length: 7\r\nx-kamaitachi-request: 42\r\n', '{"a":1}'));
    assert.ok(typeof a !== 'string');
    assert.equal(a.status, 200);
    assert.equal(a.contentType, 'application/json');
    assert.equal(a.echo, '42');
    assert.equal(a.body.toString(), '{"a":1}');
    assert.equal(a.keepAlive, true);
    assert.equal(a.surplus, false);
  });

  it('marks bytes after the answer as surplus', () => {
    const a = parse(ok('content-length: 2\r\n', '{}HTTP/1.1 200 OK\r\n'));
    assert.ok(typeof a !== 'string');
    assert.equal(a.surplus, true);
  });

  it('joins chunks, accepts chunk extensions and trailers', () => {
    const a = parse(ok('transfer-encoding: chunked\r\n', '3;a=b;c="d e"\r\n{"a\r\n4 ; x\r\n":1}\r\n0\r\nx-sum: 9\r\n\r\n'));
    assert.ok(typeof a !== 'string');
    assert.equal(a.body.toString(), '{"a":1}');
  });

  it('skips an interim 103 answer, and reads 204 and HEAD answers as bodiless', () => {
    const a = parse(`HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n${ok('content-length: 2\r\n', '[]')}`);
    assert.ok(typeof a !== 'string');
    assert.equal(a.body.toString(), '[]');
    const none = parse('HTTP/1.1 204 No Content\r\n\r\n');
    assert.ok(typeof none !== 'string' && none.body.length === 0);
    const head = parse(ok('content-length: 500\r\n', ''), { noBody: true });
    assert.ok(typeof head !== 'string' && head.body.length === 0 && head.keepAlive);
  });

  it('reads a body ended by the close, and never keeps that connection', () => {
    const a = parse(ok('', '{"closed":true}'), { closed: true });
    assert.ok(typeof a !== 'string');
    assert.equal(a.body.toString(), '{"closed":true}');
    assert.equal(a.keepAlive, false);
  });

  it('honours connection: close and HTTP/1.0 keep-alive rules', () => {
    const closing = parse(ok('connection: close\r\ncontent-length: 2\r\n', '{}'));
    assert.ok(typeof closing !== 'string' && !closing.keepAlive);
    const old = parse('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}');
    assert.ok(typeof old !== 'string' && !old.keepAlive);
    const kept = parse('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\n{}');
    assert.ok(typeof kept !== 'string' && kept.keepAlive);
  });

  for (const [what, text] of [
    ['a status line that is not HTTP/1.x', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['a header line without a colon', ok('content-length 2\r\n', '{}')],
    ['a folded header line', ok('x-a: 1\r\n  more\r\ncontent-length: 2\r\n', '{}')],
    ['a content-length that is not digits', ok('content-length: 0x10\r\n', '{}')],
    ['two different content-lengths', ok('content-length: 2\r\ncontent-length: 3\r\n', '{}')],
    ['both content-length and chunked', ok('content-length: 2\r\ntransfer-encoding: chunked\r\n', '2\r\n{}\r\n0\r\n\r\n')],
    ['a transfer coding other than chunked', ok('transfer-encoding: gzip, chunked\r\n', '2\r\n{}\r\n0\r\n\r\n')],
    ['a chunk size of -1', ok('transfer-encoding: chunked\r\n', '-1\r\n{}\r\n0\r\n\r\n')],
    ['a chunk size of 0x10', ok('transfer-encoding: chunked\r\n', '0x10\r\n{}\r\n0\r\n\r\n')],
    ['an empty chunk extension', ok('transfer-encoding: chunked\r\n', '2;\r\n{}\r\n0\r\n\r\n')],
    ['chunk data without its CRLF', ok('transfer-encoding: chunked\r\n', '2\r\n{}XX0\r\n\r\n')],
    ['a trailer line without a colon', ok('transfer-encoding: chunked\r\n', '2\r\n{}\r\n0\r\nno colon\r\n\r\n')],
    ['a 101 nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n'],
    ['two request id echoes', ok('x-kamaitachi-request: 1\r\nx-kamaitachi-request: 2\r\ncontent-length: 2\r\n', '{}')],
  ] as const) {
    it(`refuses ${what} as malformed`, () => assert.equal(parse(text), 'malformed'));
  }

  it('refuses answers beyond the limit, declared or counted', () => {
    assert.equal(parse(ok(`content-length: ${MAX + 1}\r\n`, '')), 'too_large');
    assert.equal(parse(ok('transfer-encoding: chunked\r\n', `400\r\n${'x'.repeat(1024)}\r\n1\r\n`)), 'too_large');
    assert.equal(parse(ok('', 'x'.repeat(MAX + 1)), { closed: true }), 'too_large');
  });

  it('calls a close before the end of the body truncated', () => {
    assert.equal(parse(ok('content-length: 10\r\n', '{"a"'), { closed: true }), 'truncated');
    assert.equal(parse(ok('transfer-encoding: chunked\r\n', '5\r\n{"a"'), { closed: true }), 'truncated');
    assert.equal(parse('HTTP/1.1 200 OK\r\ncontent-le', { closed: true }), 'truncated');
  });
});
