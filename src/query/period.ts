// Builds a period answer: every report of each subject with from <= report_date <= to, newest
// first, subjects in request order, in the original's item shape.
import type { Frame } from '../store/frame';
import type { SubjectEntry } from '../store/SubjectDirectory';
import { cellJson, type Column } from './columns';
import type { KnownAt } from './TopicView';

/** Fields every period item carries; requested ids of the same name are not repeated. */
const FIXED = new Set(['end_date', 'period', 'declare_date', 'year']);

/** `known`: only reports announced at or before `known.knownAt` (docs/api.md, `known_at`). */
export function serializePeriod(frame: Frame, subjects: readonly SubjectEntry[], ids: readonly Column[], from: number, to: number, known?: KnownAt): string {
  const extra = ids.filter((c) => !FIXED.has(c.id));
  const { dates } = frame;
  let out = '[';
  let first = true;
  for (const { subject, info, start, end } of subjects) {
    // Newest first: skip what is after `to`, stop at what is before `from`.
    let i = start;
    while (i < end && (dates[i] > to || (known !== undefined && known.announced[i] > known.knownAt))) i++;
    if (i >= end || dates[i] < from) continue;
    out += (first ? '' : ',') + '{"subject":' + info + ',"data":[';
    first = false;
    for (let r = i; r < end && dates[r] >= from; r++) {
      if (known !== undefined && known.announced[r] > known.knownAt) continue;
      const year = frame.year[r] ?? '';
      const period = frame.period[r] ?? '';
      out += (r > i ? ',' : '') + '{"end_date":' + JSON.stringify(frame.endDate[r] ?? '');
      out += ',"period":' + JSON.stringify(period);
      out += ',"declare_date":' + JSON.stringify(frame.declareDate[r] ?? '');
      out += ',"year":' + JSON.stringify(year);
      for (const c of extra) out += ',' + c.prefix + cellJson(frame, c, r);
      out += ',"combine":' + JSON.stringify(`${subject}:${year}_${period}`) + '}';
    }
    out += ']}';
  }
  return out + ']';
}
