// The yardstick for the gateway path: a minimal node:http reverse proxy (kept-alive agent,
// piped bodies, /data prefix stripped) in front of an upstream such as bare-server.mjs.
// Usage: node bench/wrk/bare-proxy.mjs <port> <upstream port>
import http from 'node:http';

const [port = '18901', upstreamPort = '18900'] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
http
  .createServer((req, res) => {
    const up = http.request(
      { host: '127.0.0.1', port: Number(upstreamPort), method: req.method, path: req.url.replace(/^\/data/, ''), headers: req.headers, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  })
  .listen(Number(port), '127.0.0.1');
