// A bare node:http server answering every request with the same small JSON, to measure the load
// generator's own ceiling (kamaitachi bench vs wrk vs autocannon against the same server).
// Usage: node --import tsx bench/bare-server.ts [port]   (prints the URL, runs until killed)
import { createServer } from 'node:http';

const BODY = Buffer.from('{"status_code":0,"status_msg":"success","data":[],"status":"ok"}');
const port = Number(process.argv[2] ?? 0);

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  // Drain the request body so the connection can be reused; answer without looking at it.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  if (addr && typeof addr === 'object') process.stdout.write(`http://127.0.0.1:${addr.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
