// Reads an INI file into plain string sections, and converts single settings with errors that
// name the file, the section and the key.
import { readFileSync } from 'node:fs';
import { parse } from 'ini';
import { KmtError } from '../shared/errors';

export type IniSections = Readonly<Record<string, Readonly<Record<string, string>>>>;

export function readIniFile(path: string): IniSections {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KmtError('KMT_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  const parsed = parse(text) as Record<string, unknown>;
  const out: Record<string, Record<string, string>> = {};
  for (const [section, values] of Object.entries(parsed)) {
    if (values === null || typeof values !== 'object') continue;
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
      if (v !== null && typeof v !== 'object') flat[k] = String(v).trim();
    }
    out[section] = flat;
  }
  return out;
}

/** A setting as read from a file or a flag, with where it came from for error messages. */
export class Settings {
  constructor(
    private readonly sections: IniSections,
    private readonly source: string,
  ) {}

  str(section: string, key: string): string | undefined {
    const v = this.sections[section]?.[key];
    return v === undefined || v === '' ? undefined : v;
  }

  int(section: string, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.str(section, key);
    return v === undefined ? undefined : parseIntSetting(v, `[${section}] ${key} in ${this.source}`, min, max);
  }

  /** Every key of a section (e.g. [tables]) and where it was read, for sections of free keys. */
  section(section: string): { readonly values: Readonly<Record<string, string>> | undefined; readonly source: string } {
    return { values: this.sections[section], source: this.source };
  }

  bool(section: string, key: string): boolean | undefined {
    const v = this.str(section, key);
    if (v === undefined) return undefined;
    if (/^(true|yes|on|1)$/i.test(v)) return true;
    if (/^(false|no|off|0)$/i.test(v)) return false;
    throw new KmtError('KMT_CONFIG', `[${section}] ${key} in ${this.source} must be true or false, got "${v}"`);
  }
}

export function loadSettings(path: string | undefined): Settings {
  return path ? new Settings(readIniFile(path), path) : new Settings({}, 'defaults');
}

export function parseIntSetting(value: string | number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new KmtError('KMT_CONFIG', `${what} must be an integer ${range}, got "${value}"`);
  }
  return n;
}

/** Accepts "127.0.0.1:8080", "localhost:8080" or a full URL; returns `http://host:port`. */
export function parseBaseUrl(value: string, what: string): string {
  const withScheme = /^https?:\/\//.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new KmtError('KMT_CONFIG', `${what} must be host:port or http://host:port, got "${value}"`);
  }
  if (!url.port) throw new KmtError('KMT_CONFIG', `${what} needs a port, got "${value}"`);
  return `${url.protocol}//${url.host}`;
}
