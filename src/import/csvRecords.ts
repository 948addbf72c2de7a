// Splits CSV text into records (docs/import.md, Formats): RFC 4180 quoting ("" inside quotes,
// commas and newlines in quoted fields), CRLF or LF, a BOM, empty lines skipped. A line without
// a quote is split with indexOf/split (the common case, a few string operations per line);
// only a line with a quote goes through the character-by-character state machine. Each record
// carries the line it starts on. A record the quoting makes unreadable is an error item, and the
// reader goes on at the next line.

export type CsvItem = { readonly line: number; readonly fields: string[] } | { readonly line: number; readonly error: string };

const QUOTE = 34;
const COMMA = 44;
const NL = 10;
const CR = 13;

export class CsvRecords {
  /** Text not yet split: an unfinished line (or quoted record) from the previous chunk. */
  #carry = '';
  /** Line number of the first line of #carry. */
  #line = 1;
  #started = false;

  /** Splits the complete records of `chunk` (after what was carried over). */
  push(chunk: string, emit: (item: CsvItem) => void): void {
    let text = this.#carry + chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.#carry = text.slice(this.#split(text, emit, false));
  }

  /** Splits what is left at the end of the input. */
  end(emit: (item: CsvItem) => void): void {
    const text = this.#carry;
    this.#carry = '';
    this.#split(text, emit, true);
  }

  /** Emits the records of `text`; returns where the unfinished rest starts. */
  #split(text: string, emit: (item: CsvItem) => void, last: boolean): number {
    let from = 0;
    const n = text.length;
    // The next quote at or after `from` (n when none): searched again only once passed, not per line.
    let quote = -1;
    while (from < n) {
      let nl = text.indexOf('\n', from);
      if (nl < 0) {
        if (!last) return from;
        nl = n;
      }
      if (quote < from) {
        quote = text.indexOf('"', from);
        if (quote < 0) quote = n;
      }
      if (quote >= nl) {
        let end = nl;
        if (end > from && text.charCodeAt(end - 1) === CR) end--;
        if (end > from) emit({ line: this.#line, fields: text.slice(from, end).split(',') });
        this.#line++;
        from = nl + 1;
        continue;
      }
      const r = this.#quoted(text, from, last);
      if (r === undefined) return from;
      emit(r.item);
      this.#line += r.lines;
      from = r.next;
    }
    return n;
  }

  /**
   * One record with a quote in it, from `from`: its fields, the lines it spans and where the
   * next record starts; undefined when it does not end within `text` (more input may end it).
   */
  #quoted(text: string, from: number, last: boolean): { item: CsvItem; lines: number; next: number } | undefined {
    const line = this.#line;
    const fields: string[] = [];
    let lines = 0;
    let i = from;
    const n = text.length;
    const skipLine = (error: string): { item: CsvItem; lines: number; next: number } | undefined => {
      const nl = text.indexOf('\n', i);
      if (nl < 0 && !last) return undefined;
      return { item: { line, error }, lines: lines + 1, next: nl < 0 ? n : nl + 1 };
    };
    for (;;) {
      // At the start of a field.
      if (i < n && text.charCodeAt(i) === QUOTE) {
        let value = '';
        let seg = ++i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            if (!last) return undefined;
            return { item: { line, error: 'not valid CSV: a quoted field is not closed (a truncated file?)' }, lines: lines + 1, next: n };
          }
          for (let k = text.indexOf('\n', i); k >= 0 && k < q; k = text.indexOf('\n', k + 1)) lines++;
          if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(seg, q + 1);
            i = seg = q + 2;
            continue;
          }
          if (q + 1 >= n && !last) return undefined; // a "" may be split across chunks
          value += text.slice(seg, q);
          i = q + 1;
          break;
        }
        fields.push(value);
        // What follows the closing quote (a CR needs the character after it too).
        if (i + 1 >= n && !last) return undefined;
        const c = i < n ? text.charCodeAt(i) : NL;
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === CR && (i + 1 >= n || text.charCodeAt(i + 1) === NL)) i++;
        if (i >= n || text.charCodeAt(i) === NL) return { item: { line, fields }, lines: lines + 1, next: i + 1 };
        return skipLine(`not valid CSV: a closing quote followed by ${JSON.stringify(text[i])} in field ${fields.length}`);
      }
      // An unquoted field: up to the next comma or line end.
      let end = i;
      while (end < n) {
        const c = text.charCodeAt(end);
        if (c === COMMA || c === NL) break;
        if (c === QUOTE) return skipLine(`not valid CSV: a quote inside the unquoted field ${fields.length + 1}`);
        end++;
      }
      if (end >= n && !last) return undefined;
      let stop = end;
      if ((end >= n || text.charCodeAt(end) === NL) && stop > i && text.charCodeAt(stop - 1) === CR) stop--;
      fields.push(text.slice(i, stop));
      if (end < n && text.charCodeAt(end) === COMMA) {
        i = end + 1;
        continue;
      }
      return { item: { line, fields }, lines: lines + 1, next: end + 1 };
    }
  }
}
