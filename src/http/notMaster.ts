// The 421 a slave answers to a write (docs/api.md, "Writes (master)"): it names the master, so a
// client or a misrouted proxy knows where writes go.
import { KmtError } from '../shared/errors';

export function notMasterError(master: string | undefined): KmtError {
  return new KmtError(
    'KMT_NOT_MASTER',
    master
      ? `this node is a slave and takes no writes; send them to the master at ${master} (or through the gateway's /data prefix)`
      : 'this node is a slave without a master and takes no writes; send them to the master',
  );
}
