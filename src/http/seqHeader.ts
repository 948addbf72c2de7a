// `x-kamaitachi-seq: <applied seq>` on every answer of a data node (docs/api.md, "Conventions").
// The value is kept as a ready string, changed once per applied record, so the read path pays
// one array slot for it and nothing else.
import { ServerResponse, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

export const SEQ_HEADER = 'x-kamaitachi-seq';

export class SeqHeader {
  /** The applied seq as the header value. */
  text = '0';

  set(seq: number): void {
    this.text = String(seq);
  }
}

type Headers = OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined;

/**
 * A ServerResponse class for the node's HTTP server that adds the header to answers that do not
 * carry it yet. The hot path writes it itself in its flat header array (index 4, see
 * dataRoutes.ts), which keeps node:http on its fast path of a single array of headers.
 */
export function seqStampingResponse(seq: SeqHeader): typeof ServerResponse {
  class SeqStampedResponse extends ServerResponse {
    override writeHead(statusCode: number, reasonOrHeaders?: string | Headers, headers?: Headers): this {
      const given = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
      if (!this.headersSent && !carriesSeq(given) && !this.hasHeader(SEQ_HEADER)) this.setHeader(SEQ_HEADER, seq.text);
      // node:http takes the headers from the second argument when it is not a string.
      return super.writeHead(statusCode, reasonOrHeaders as string, headers);
    }
  }
  // node:http types the option as generic over the request class; this one serves IncomingMessage.
  return SeqStampedResponse as unknown as typeof ServerResponse;
}

function carriesSeq(headers: Headers): boolean {
  if (headers === undefined) return false;
  if (Array.isArray(headers)) return headers[4] === SEQ_HEADER;
  return (headers as OutgoingHttpHeaders)[SEQ_HEADER] !== undefined;
}
