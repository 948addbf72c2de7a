// Splits CSV text into records (docs/import.md, Formats) with papaparse, which does the CSV
// itself: RFC 4180 quoting ("" inside quotes, commas and newlines in quoted fields).
// Around it, what an importer needs and papaparse's string parser does not give: input in
// chunks (only whole records are parsed: the text is cut after a line end outside quotes, the
// rest carried to the next chunk), CRLF, LF or both, a BOM dropped, empty lines skipped, the line each record
// starts on, and a record with broken quoting reported at its line while the reading goes on at
// the next line (papaparse would take the rest of the file into that record).
import Papa from 'papaparse';

export type CsvItem = { readonly line: number; readonly fields: string[] } | { readonly line: number; readonly error: string };

const NL = 10;

export class CsvRecords {
  /** Text not yet parsed: the records not complete at the end of the last chunk. */
  #carry = '';
  /** Line number of the first line of #carry. */
  #line = 1;
  #started = false;

  /** Parses the complete records of `chunk` (after what was carried over). */
  push(chunk: string, emit: (item: CsvItem) => void): void {
    let text = this.#carry + chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const cut = wholeRecordsEnd(text);
    this.#carry = text.slice(cut);
    if (cut > 0) this.#parse(text.slice(0, cut), emit);
  }

  /** Parses what is left at the end of the input. */
  end(emit: (item: CsvItem) => void): void {
    const text = this.#carry;
    this.#carry = '';
    if (text.length > 0) this.#parse(text, emit);
  }

  /** Emits the records of `text` (whole records only, or the input's end) and counts its lines. */
  #parse(block: string, emit: (item: CsvItem) => void): void {
    // CRLF (or a lone CR) read as LF, so files mixing line ends split the same (a quoted field's
    // CRLF becomes LF as well); the line count is unchanged.
    const text = block.includes('\r') ? block.replace(/\r\n?/g, '\n') : block;
    let from = 0;
    // Line counting: the line of position `at` (positions only move forward).
    let at = 0;
    let line = this.#line;
    const lineOf = (pos: number): number => {
      for (let k = text.indexOf('\n', at); k >= 0 && k < pos; k = text.indexOf('\n', k + 1)) line++;
      at = pos;
      return line;
    };
    while (from < text.length) {
      let start = from;
      let broken: { line: number; error: string; start: number } | undefined;
      Papa.parse<string[]>(from === 0 ? text : text.slice(from), {
        delimiter: ',',
        newline: '\n',
        quoteChar: '"',
        skipEmptyLines: true,
        step: (r, parser) => {
          // The record starts after the line ends that precede it (empty lines are skipped).
          while (start < text.length && text.charCodeAt(start) === NL) start++;
          const recordLine = lineOf(start);
          if (r.errors.length > 0) {
            broken = { line: recordLine, error: `not valid CSV: ${r.errors[0].message.toLowerCase()}`, start };
            parser.abort();
            return;
          }
          emit({ line: recordLine, fields: r.data });
          start = from + r.meta.cursor;
        },
      });
      if (!broken) break;
      emit({ line: broken.line, error: broken.error });
      // Go on at the line after the one the broken record starts on.
      const nl = text.indexOf('\n', broken.start);
      from = nl < 0 ? text.length : nl + 1;
    }
    this.#line = lineOf(text.length);
  }
}

/**
 * Where the whole records of `text` end: after the last line end outside quotes (a quoted field
 * may hold line ends). Outside quotes means an even number of quote characters before it.
 */
function wholeRecordsEnd(text: string): number {
  let nl = text.lastIndexOf('\n');
  if (nl < 0) return 0;
  const quotes: number[] = [];
  for (let q = text.indexOf('"'); q >= 0 && q < nl; q = text.indexOf('"', q + 1)) quotes.push(q);
  if (quotes.length % 2 === 0) return nl + 1;
  // Back to an earlier line end with an even count of quotes before it.
  let count = quotes.length;
  while (nl > 0) {
    nl = text.lastIndexOf('\n', nl - 1);
    if (nl < 0) return 0;
    while (count > 0 && quotes[count - 1] > nl) count--;
    if (count % 2 === 0) return nl + 1;
  }
  return 0;
}
