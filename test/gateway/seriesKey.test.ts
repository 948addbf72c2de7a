// How the gateway routes DataInfo requests: reads by entity id on the ring, writes to the master.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isMasterRoute } from '../../src/gateway/masterForward';
import { parseInfo } from '../../src/gateway/requestInfo';
import { seriesKey } from '../../src/gateway/seriesKey';

describe('DataInfo routing at the gateway', () => {
  it('keys a get by the id in its path, decoded', () => {
    assert.equal(seriesKey('/data/v1/get/33%3A000001', undefined), '33:000001');
    assert.equal(seriesKey('/data/v1/get/', undefined), undefined);
  });

  it('keys a search by its first subjectId, and spreads one without', () => {
    assert.equal(seriesKey('/data/v1/search', parseInfo(Buffer.from('{"tableId":1,"subjectIds":["b","a"]}'))), 'b');
    assert.equal(seriesKey('/data/v1/search', parseInfo(Buffer.from('{"tableId":1}'))), undefined);
    assert.equal(seriesKey('/kamaitachi/api/data/v1/snapshot', parseInfo(Buffer.from('{"subjectIds":["b"]}'))), undefined);
  });

  it('sends saves and deletes to the master, gets and searches to the ring', () => {
    assert.equal(isMasterRoute('/data/v1/save'), true);
    assert.equal(isMasterRoute('/data/v1/delete/33:000001'), true);
    assert.equal(isMasterRoute('/data/v1/get/33:000001'), false);
    assert.equal(isMasterRoute('/data/v1/search'), false);
  });
});
