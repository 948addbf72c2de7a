// The CSV reader (papaparse, with chunking and line numbers around it; docs/import.md, Formats):
// RFC 4180 quoting, CRLF, a BOM, empty lines, each record with the line it starts on, whatever
// the chunk boundaries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CsvRecords, type CsvItem } from '../../src/import/csvRecords';

function split(chunks: string[]): CsvItem[] {
  const out: CsvItem[] = [];
  const r = new CsvRecords();
  for (const c of chunks) r.push(c, (i) => out.push(i));
  r.end((i) => out.push(i));
  return out;
}

/** Every way of cutting `text` into two chunks gives the same records as one chunk. */
function everyCut(text: string): CsvItem[] {
  const whole = split([text]);
  for (let i = 1; i < text.length; i++) assert.deepEqual(split([text.slice(0, i), text.slice(i)]), whole, `cut at ${i}`);
  return whole;
}

describe('CsvRecords', () => {
  it('splits plain and quoted fields, with commas, quotes and newlines inside quotes, LF or CRLF', () => {
    const text = '\ufeffa,b,c\r\n1,"x, ""y""",3\n\n"multi\nline",,"q"\r\nlast,2,';
    assert.deepEqual(everyCut(text), [
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x, "y"', '3'] },
      { line: 4, fields: ['multi\nline', '', 'q'] },
      { line: 6, fields: ['last', '2', ''] },
    ]);
  });

  it('reports broken quoting as an error at its line and goes on at the next line', () => {
    // A quote inside an unquoted field is a character of it (papaparse's reading, as most CSV
    // readers'); a quoted field that does not close, or closes in mid-field, is an error.
    const text = 'a,b\nx"y,1\n"ok",2\n"z"w,3\n4,5\n"open,6';
    assert.deepEqual(everyCut(text), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x"y', '1'] },
      { line: 3, fields: ['ok', '2'] },
      { line: 4, error: 'not valid CSV: trailing quote on quoted field is malformed' },
      { line: 5, fields: ['4', '5'] },
      { line: 6, error: 'not valid CSV: quoted field unterminated' },
    ]);
  });
});
