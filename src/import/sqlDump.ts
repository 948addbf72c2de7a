// Reads SQL dumps as mysqldump and `sqlite3 .dump` write them (docs/import.md): statements are
// split on `;` outside quotes and comments, INSERT INTO finance_data statements are parsed into
// values (never executed), everything else (CREATE TABLE, LOCK TABLES, SET, BEGIN/COMMIT, /*!...*/)
// is skipped. Each VALUES tuple carries the line it starts on, for file:line messages.

export type SqlLiteral = string | number | null;

export interface SqlStatement {
  /** Line (1-based) of the statement's first character. */
  readonly line: number;
  readonly text: string;
}

const NL = 10;
const SQUOTE = 39;
const DQUOTE = 34;
const BACKTICK = 96;
const BACKSLASH = 92;
const SEMI = 59;
const DASH = 45;
const SLASH = 47;
const STAR = 42;
const HASH = 35;

const enum State {
  Normal,
  Single,
  Double,
  Backtick,
  LineComment,
  BlockComment,
}

/**
 * Splits a stream of text into statements. Comments are dropped (their newlines kept, so line
 * numbers inside a statement stay right). Feed chunks with push(), then end() for the remainder.
 */
export class StatementSplitter {
  #state = State.Normal;
  #escape = false;
  #parts: string[] = [];
  #line = 1;
  #startLine = 0;
  /** A '-' or '/' seen at the end of the previous chunk (comment start split across chunks). */
  #pending = '';

  push(chunk: string, emit: (s: SqlStatement) => void): void {
    if (this.#pending) {
      chunk = this.#pending + chunk;
      this.#pending = '';
    }
    let segStart = 0;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NL) this.#line++;
      switch (this.#state) {
        case State.Normal:
          if (c === SEMI) {
            this.#parts.push(chunk.slice(segStart, i));
            this.#flush(emit);
            segStart = i + 1;
          } else if (c === SQUOTE) this.#state = State.Single;
          else if (c === DQUOTE) this.#state = State.Double;
          else if (c === BACKTICK) this.#state = State.Backtick;
          else if ((c === DASH || c === SLASH) && i + 1 === n) {
            // Cannot tell a comment start yet: keep it for the next chunk.
            this.#parts.push(chunk.slice(segStart, i));
            this.#pending = chunk[i]!;
            return;
          } else if ((c === DASH && chunk.charCodeAt(i + 1) === DASH) || c === HASH) {
            this.#parts.push(chunk.slice(segStart, i));
            this.#state = State.LineComment;
          } else if (c === SLASH && chunk.charCodeAt(i + 1) === STAR) {
            this.#parts.push(chunk.slice(segStart, i));
            this.#state = State.BlockComment;
            i++;
          } else if (this.#startLine === 0 && c !== NL && c !== 32 && c !== 9 && c !== 13) this.#startLine = this.#line;
          break;
        case State.Single:
          if (this.#escape) this.#escape = false;
          else if (c === BACKSLASH) this.#escape = true;
          else if (c === SQUOTE) this.#state = State.Normal; // '' re-enters Single on the next quote
          break;
        case State.Double:
          if (c === DQUOTE) this.#state = State.Normal;
          break;
        case State.Backtick:
          if (c === BACKTICK) this.#state = State.Normal;
          break;
        case State.LineComment:
          if (c === NL) {
            this.#parts.push('\n');
            this.#state = State.Normal;
            segStart = i + 1;
          }
          break;
        case State.BlockComment:
          if (c === NL) this.#parts.push('\n');
          else if (c === STAR && i + 1 < n && chunk.charCodeAt(i + 1) === SLASH) {
            this.#state = State.Normal;
            i++;
            segStart = i + 1;
            this.#parts.push(' ');
          } else if (c === STAR && i + 1 === n) {
            this.#pending = '*';
            return;
          }
          break;
      }
    }
    if (this.#state !== State.LineComment && this.#state !== State.BlockComment) this.#parts.push(chunk.slice(segStart));
  }

  /** The unterminated rest, if any text other than whitespace is left (a truncated file). */
  end(): SqlStatement | undefined {
    if (this.#pending && this.#state === State.Normal) this.#parts.push(this.#pending);
    const text = this.#parts.join('').trimStart(); // starts at #startLine's character
    this.#parts = [];
    if (text === '') return undefined;
    return { line: this.#startLine || this.#line, text };
  }

  /** Line the splitter has reached. */
  get line(): number {
    return this.#line;
  }

  #flush(emit: (s: SqlStatement) => void): void {
    const text = this.#parts.join('').trimStart(); // starts at #startLine's character
    this.#parts = [];
    const line = this.#startLine || this.#line;
    this.#startLine = 0;
    if (text !== '') emit({ line, text });
  }
}

export interface InsertTuple {
  readonly line: number;
  readonly values: SqlLiteral[];
}

export type ParsedStatement =
  | { readonly kind: 'other' }
  | { readonly kind: 'insert'; readonly table: string; readonly columns: string[] | undefined; readonly tuples: InsertTuple[] }
  | { readonly kind: 'error'; readonly line: number; readonly message: string };

const WS = /\s/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Parses one statement: an INSERT into values, anything else 'other'. Never evaluates SQL. */
export function parseStatement(stmt: SqlStatement): ParsedStatement {
  const p = new Cursor(stmt.text, stmt.line);
  p.skipWs();
  const first = p.word().toUpperCase();
  if (first !== 'INSERT' && first !== 'REPLACE') return { kind: 'other' };
  try {
    p.skipWs();
    let w = p.word().toUpperCase();
    while (w === 'IGNORE' || w === 'OR' || w === 'REPLACE' || w === 'LOW_PRIORITY' || w === 'DELAYED' || w === 'HIGH_PRIORITY') {
      p.skipWs();
      w = p.word().toUpperCase();
    }
    if (w !== 'INTO') p.fail(`expected INTO after ${first}`);
    p.skipWs();
    let table = p.identifier();
    if (p.peek() === '.') {
      p.pos++;
      table = p.identifier(); // schema.table: the table name counts
    }
    p.skipWs();
    let columns: string[] | undefined;
    if (p.peek() === '(') {
      p.pos++;
      columns = [];
      for (;;) {
        p.skipWs();
        columns.push(p.identifier());
        p.skipWs();
        const c = p.take();
        if (c === ')') break;
        if (c !== ',') p.fail(`expected , or ) in the column list, got ${JSON.stringify(c)}`);
      }
      p.skipWs();
    }
    if (p.word().toUpperCase() !== 'VALUES') p.fail('expected VALUES (INSERT ... SELECT is not supported)');
    const tuples: InsertTuple[] = [];
    for (;;) {
      p.skipWs();
      const line = p.line;
      if (p.take() !== '(') p.fail('expected ( starting a row of VALUES');
      const values: SqlLiteral[] = [];
      for (;;) {
        p.skipWs();
        values.push(p.literal());
        p.skipWs();
        const c = p.take();
        if (c === ')') break;
        if (c !== ',') p.fail(`expected , or ) between values, got ${JSON.stringify(c)}`);
      }
      tuples.push({ line, values });
      p.skipWs();
      if (p.peek() !== ',') break;
      p.pos++;
    }
    p.skipWs();
    if (p.pos < p.text.length) {
      const rest = p.text.slice(p.pos).trim();
      if (!/^ON\s+(DUPLICATE|CONFLICT)\b/i.test(rest)) p.fail(`unexpected ${JSON.stringify(rest.slice(0, 20))} after VALUES`);
    }
    return { kind: 'insert', table, columns, tuples };
  } catch (err) {
    if (err instanceof ParseError) return { kind: 'error', line: err.line, message: err.message };
    throw err;
  }
}

class ParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

class Cursor {
  pos = 0;
  line: number;

  constructor(
    readonly text: string,
    line: number,
  ) {
    this.line = line;
  }

  fail(message: string): never {
    throw new ParseError(this.line, message);
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  take(): string {
    const c = this.text[this.pos] ?? '';
    if (c === '\n') this.line++;
    this.pos++;
    return c;
  }

  skipWs(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === NL) this.line++;
      else if (!(c === 32 || c === 9 || c === 13 || (c > 127 && WS.test(t[this.pos]!)))) return;
      this.pos++;
    }
  }

  word(): string {
    const start = this.pos;
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos) | 0x20;
      if ((c >= 97 && c <= 122) || c === 0x7f /* '_' | 0x20 */) this.pos++;
      else break;
    }
    return t.slice(start, this.pos);
  }

  identifier(): string {
    const c = this.peek();
    if (c === '`' || c === '"' || c === '[') {
      const close = c === '[' ? ']' : c;
      const end = this.text.indexOf(close, this.pos + 1);
      if (end < 0) this.fail(`unterminated identifier`);
      const name = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return name;
    }
    const start = this.pos;
    while (this.pos < this.text.length && /[A-Za-z0-9_$]/.test(this.text[this.pos]!)) this.pos++;
    if (start === this.pos) this.fail(`expected a name, got ${JSON.stringify(this.text.slice(this.pos, this.pos + 10))}`);
    return this.text.slice(start, this.pos);
  }

  literal(): SqlLiteral {
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    if (c === SQUOTE) return this.string();
    if ((c >= 48 && c <= 57) || c === DASH || c === 43 || c === 46) {
      let end = this.pos + 1;
      for (;;) {
        const d = t.charCodeAt(end);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || ((d === DASH || d === 43) && (t.charCodeAt(end - 1) | 0x20) === 101)) end++;
        else break;
      }
      const text = t.slice(this.pos, end);
      if (NUMBER.test(text)) {
        this.pos = end;
        return Number(text);
      }
    }
    const w = this.word();
    const u = w.toUpperCase();
    if (u === 'NULL') return null;
    if (u === 'TRUE') return 1;
    if (u === 'FALSE') return 0;
    this.fail(`unsupported value ${JSON.stringify(w || t.slice(this.pos, this.pos + 12))}: only quoted strings, numbers and NULL are read`);
  }

  /** A '...' string: '' and backslash escapes (\' \\ \n \r \t \0) as mysqldump writes them. */
  string(): string {
    const t = this.text;
    let out = '';
    let seg = ++this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      const c = t.charCodeAt(this.pos);
      if (c === SQUOTE) {
        out += t.slice(seg, this.pos);
        if (t.charCodeAt(this.pos + 1) === SQUOTE) {
          out += "'";
          this.pos += 2;
          seg = this.pos;
          continue;
        }
        this.pos++;
        return out;
      }
      if (c === BACKSLASH) {
        out += t.slice(seg, this.pos);
        const e = t[this.pos + 1] ?? '';
        out += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === '0' ? '\0' : e === 'Z' ? '\x1a' : e;
        this.pos += 2;
        seg = this.pos;
        continue;
      }
      if (c === NL) this.line++;
      this.pos++;
    }
  }
}
