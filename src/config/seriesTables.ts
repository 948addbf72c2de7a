// The [tables] section of a node config: more DataInfo tables beside the original's three, as
// `<number> = <name>:<values per point>` (e.g. `4 = my_table:6`). Checked once at start; a bad
// line is a config error naming it.
import { KmtError } from '../shared/errors';
import { DEFAULT_SERIES_TABLES, type SeriesTableDef, type SeriesTables } from '../query/seriesTables';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Table numbers 1..MAX_TABLE; values per point 1..MAX_WIDTH. */
export const MAX_TABLE = 1_000_000;
export const MAX_WIDTH = 1024;

export function resolveSeriesTables(section: Readonly<Record<string, string>> | undefined, source: string): SeriesTables {
  const tables = new Map<number, SeriesTableDef>(DEFAULT_SERIES_TABLES);
  for (const [key, value] of Object.entries(section ?? {})) {
    const where = `[tables] ${key} in ${source}`;
    const id = /^\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isSafeInteger(id) || id < 1 || id > MAX_TABLE) throw new KmtError('KMT_CONFIG', `${where}: the key must be a table number between 1 and ${MAX_TABLE}, e.g. 4 = my_table:6`);
    const m = /^([^:]+):(\d+)$/.exec(value.trim());
    if (!m) throw new KmtError('KMT_CONFIG', `${where}: must be <name>:<values per point>, e.g. my_table:6, got "${value}"`);
    const [, name, w] = m;
    const width = Number(w);
    if (!NAME.test(name)) throw new KmtError('KMT_CONFIG', `${where}: the name must be letters, digits and _ (not starting with a digit, at most 64), got "${name}"`);
    if (width < 1 || width > MAX_WIDTH) throw new KmtError('KMT_CONFIG', `${where}: values per point must be between 1 and ${MAX_WIDTH}, got ${w}`);
    const builtIn = DEFAULT_SERIES_TABLES.get(id);
    if (builtIn && (builtIn.name !== name || builtIn.width !== width)) {
      throw new KmtError('KMT_CONFIG', `${where}: table ${id} is the built-in ${builtIn.name}:${builtIn.width} and cannot be redefined; use a number above 3`);
    }
    const clash = [...tables.values()].find((t) => t.name === name && t.id !== id);
    if (clash) throw new KmtError('KMT_CONFIG', `${where}: the name ${name} is already table ${clash.id}`);
    tables.set(id, { id, name, width });
  }
  return new Map([...tables.entries()].sort((a, b) => a[0] - b[0]));
}
