// Builds a period answer: every report of each subject with from <= report_date <= to, newest
// first, subjects in request order, in the original's item shape.
import type { SubjectSeries } from '../store/frame';
import { cellJson, type Column } from './columns';

/** Fields every period item carries; requested ids of the same name are not repeated. */
const FIXED = new Set(['end_date', 'period', 'declare_date', 'year']);

export interface PeriodPart {
  readonly series: SubjectSeries;
  readonly info: string;
}

export function serializePeriod(parts: readonly PeriodPart[], ids: readonly Column[], from: number, to: number): string {
  const extra = ids.filter((c) => !FIXED.has(c.id));
  let out = '[';
  let first = true;
  for (const { series, info } of parts) {
    const { dates } = series;
    // Newest first: skip what is after `to`, stop at what is before `from`.
    let i = 0;
    while (i < dates.length && dates[i] > to) i++;
    if (i >= dates.length || dates[i] < from) continue;
    out += (first ? '' : ',') + '{"subject":' + info + ',"data":[';
    first = false;
    for (let r = i; r < dates.length && dates[r] >= from; r++) {
      const year = series.year[r] ?? '';
      const period = series.period[r] ?? '';
      out += (r > i ? ',' : '') + '{"end_date":' + JSON.stringify(series.endDate[r] ?? '');
      out += ',"period":' + JSON.stringify(period);
      out += ',"declare_date":' + JSON.stringify(series.declareDate[r] ?? '');
      out += ',"year":' + JSON.stringify(year);
      for (const c of extra) out += ',' + c.prefix + cellJson(series, c, r);
      out += ',"combine":' + JSON.stringify(`${series.subject}:${year}_${period}`) + '}';
    }
    out += ']}';
  }
  return out + ']';
}
